package dev.envelope.cli.leaks;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Text forms of objects and throwables, as a logging backend or a developer would print them. */
public final class Rendering {
  private Rendering() {}

  /** {@code printStackTrace}: the class, message and frames of the throwable, its causes and suppressed. */
  public static String stackTrace(Throwable t) {
    StringWriter w = new StringWriter();
    try (PrintWriter p = new PrintWriter(w)) {
      t.printStackTrace(p);
    }
    return w.toString();
  }

  /** {@code String.valueOf}, and the failure instead if {@code toString()} throws. */
  public static String string(Object o) {
    try {
      return String.valueOf(o);
    } catch (RuntimeException e) {
      return "<toString failed: " + stackTrace(e) + ">";
    }
  }
}
