package dev.envelope.cli.leaks;

import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.helpers.FormattingTuple;
import org.slf4j.helpers.MarkerIgnoringBase;
import org.slf4j.helpers.MessageFormatter;

/**
 * SLF4J loggers that, while capture is on, are enabled at every level (TRACE included) and keep
 * each record fully rendered; while it is off they are disabled, like slf4j-nop.
 */
public final class CapturingLoggerFactory implements ILoggerFactory {
  public static final CapturingLoggerFactory INSTANCE = new CapturingLoggerFactory();

  private final ConcurrentHashMap<String, Logger> loggers = new ConcurrentHashMap<>();
  private final ConcurrentLinkedQueue<LogLine> lines = new ConcurrentLinkedQueue<>();
  private volatile boolean on;

  private CapturingLoggerFactory() {}

  @Override
  public Logger getLogger(String name) {
    return loggers.computeIfAbsent(name, CapturingLogger::new);
  }

  /** Forgets what was captured and starts capturing at every level. */
  public void start() {
    lines.clear();
    on = true;
  }

  /** Stops capturing; what was captured stays readable. */
  public void stop() {
    on = false;
  }

  public List<LogLine> lines() {
    return List.copyOf(lines);
  }

  private void record(String level, String logger, String format, Object[] args, Throwable thrown) {
    if (!on) {
      return;
    }
    FormattingTuple t = MessageFormatter.arrayFormat(format, args);
    StringBuilder text = new StringBuilder(String.valueOf(t.getMessage()));
    if (args != null) {
      // A backend with a structured layout prints arguments the pattern does not reference.
      for (Object a : args) {
        text.append("\n  arg: ").append(a instanceof Object[] array ? java.util.Arrays.deepToString(array)
            : Rendering.string(a));
      }
    }
    Throwable th = thrown != null ? thrown : t.getThrowable();
    if (th != null) {
      text.append('\n').append(Rendering.stackTrace(th));
    }
    lines.add(new LogLine("slf4j", level, logger, Thread.currentThread().getName(), text.toString()));
  }

  private final class CapturingLogger extends MarkerIgnoringBase {
    private static final long serialVersionUID = 1L;

    CapturingLogger(String name) {
      this.name = name;
    }

    private void log(String level, String format, Object... args) {
      record(level, name, format, args, null);
    }

    private void logThrown(String level, String msg, Throwable t) {
      record(level, name, msg, null, t);
    }

    @Override public boolean isTraceEnabled() { return on; }
    @Override public void trace(String msg) { log("TRACE", msg); }
    @Override public void trace(String format, Object arg) { log("TRACE", format, arg); }
    @Override public void trace(String format, Object a, Object b) { log("TRACE", format, a, b); }
    @Override public void trace(String format, Object... args) { log("TRACE", format, args); }
    @Override public void trace(String msg, Throwable t) { logThrown("TRACE", msg, t); }

    @Override public boolean isDebugEnabled() { return on; }
    @Override public void debug(String msg) { log("DEBUG", msg); }
    @Override public void debug(String format, Object arg) { log("DEBUG", format, arg); }
    @Override public void debug(String format, Object a, Object b) { log("DEBUG", format, a, b); }
    @Override public void debug(String format, Object... args) { log("DEBUG", format, args); }
    @Override public void debug(String msg, Throwable t) { logThrown("DEBUG", msg, t); }

    @Override public boolean isInfoEnabled() { return on; }
    @Override public void info(String msg) { log("INFO", msg); }
    @Override public void info(String format, Object arg) { log("INFO", format, arg); }
    @Override public void info(String format, Object a, Object b) { log("INFO", format, a, b); }
    @Override public void info(String format, Object... args) { log("INFO", format, args); }
    @Override public void info(String msg, Throwable t) { logThrown("INFO", msg, t); }

    @Override public boolean isWarnEnabled() { return on; }
    @Override public void warn(String msg) { log("WARN", msg); }
    @Override public void warn(String format, Object arg) { log("WARN", format, arg); }
    @Override public void warn(String format, Object a, Object b) { log("WARN", format, a, b); }
    @Override public void warn(String format, Object... args) { log("WARN", format, args); }
    @Override public void warn(String msg, Throwable t) { logThrown("WARN", msg, t); }

    @Override public boolean isErrorEnabled() { return on; }
    @Override public void error(String msg) { log("ERROR", msg); }
    @Override public void error(String format, Object arg) { log("ERROR", format, arg); }
    @Override public void error(String format, Object a, Object b) { log("ERROR", format, a, b); }
    @Override public void error(String format, Object... args) { log("ERROR", format, args); }
    @Override public void error(String msg, Throwable t) { logThrown("ERROR", msg, t); }
  }
}
