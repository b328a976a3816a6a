package dev.envelope.cli.leaks;

/**
 * One captured log record, rendered: the message with its arguments substituted, every argument's
 * {@code toString()}, and the stack trace of its throwable (causes and suppressed included).
 *
 * @param framework {@code slf4j} or {@code jul}
 */
public record LogLine(String framework, String level, String logger, String thread, String text) {
  @Override
  public String toString() {
    return framework + " " + level + " " + logger + " [" + thread + "] " + text;
  }
}
