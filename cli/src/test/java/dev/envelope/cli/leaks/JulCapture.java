package dev.envelope.cli.leaks;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * java.util.logging (gRPC, the Google client libraries, the JDK's own platform loggers) at level
 * ALL into memory, with the root's console handler removed while it runs; {@link #close()} puts
 * the previous levels and handlers back.
 */
public final class JulCapture extends Handler implements AutoCloseable {
  private final ConcurrentLinkedQueue<LogLine> lines = new ConcurrentLinkedQueue<>();
  private final SimpleFormatter formatter = new SimpleFormatter();
  private final Logger root = LogManager.getLogManager().getLogger("");
  private final Level rootLevel;
  private final List<Handler> rootHandlers;
  private final Map<String, Level> explicitLevels = new HashMap<>();
  /** Strong references: JUL keeps loggers weakly, and a collected logger would lose its level. */
  private final List<Logger> touched = new ArrayList<>();

  private JulCapture() {
    rootLevel = root.getLevel();
    rootHandlers = List.of(root.getHandlers());
    setLevel(Level.ALL);
  }

  /** Sets the root and every logger that has its own level to ALL, and starts capturing. */
  public static JulCapture install() {
    JulCapture c = new JulCapture();
    for (Handler h : c.rootHandlers) {
      c.root.removeHandler(h);
    }
    c.root.setLevel(Level.ALL);
    for (String name : Collections.list(LogManager.getLogManager().getLoggerNames())) {
      Logger l = LogManager.getLogManager().getLogger(name);
      if (l != null && l != c.root && l.getLevel() != null) {
        c.explicitLevels.put(name, l.getLevel());
        c.touched.add(l);
        l.setLevel(Level.ALL);
      }
    }
    c.root.addHandler(c);
    return c;
  }

  public List<LogLine> lines() {
    return List.copyOf(lines);
  }

  @Override
  public void publish(LogRecord r) {
    StringBuilder text = new StringBuilder();
    try {
      text.append(formatter.formatMessage(r));
    } catch (RuntimeException e) {
      text.append(r.getMessage());
    }
    if (r.getParameters() != null) {
      for (Object p : r.getParameters()) {
        text.append("\n  param: ").append(Rendering.string(p));
      }
    }
    if (r.getThrown() != null) {
      text.append('\n').append(Rendering.stackTrace(r.getThrown()));
    }
    lines.add(new LogLine("jul", r.getLevel().getName(), String.valueOf(r.getLoggerName()),
        Thread.currentThread().getName(), text.toString()));
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    root.removeHandler(this);
    root.setLevel(rootLevel);
    for (Logger l : touched) {
      l.setLevel(explicitLevels.get(l.getName()));
    }
    for (Handler h : rootHandlers) {
      root.addHandler(h);
    }
  }
}
