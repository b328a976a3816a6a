package dev.envelope.cli.leaks;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Text a run produced outside the logging frameworks: output streams, exception messages and stack
 * traces, and the {@code toString()} of objects, by channel.
 */
public final class Outputs {
  private final Map<String, StringBuilder> channels = new LinkedHashMap<>();
  private final Set<Throwable> seenThrowables = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
  private int exceptions;
  private int objects;

  public synchronized void text(String channel, String text) {
    channels.computeIfAbsent(channel, c -> new StringBuilder()).append(text).append('\n');
  }

  /** Bytes as UTF-8 text, and as ISO-8859-1 so that raw binary secrets are found too. */
  public synchronized void bytes(String channel, byte[] bytes) {
    text(channel, new String(bytes, StandardCharsets.UTF_8));
    text(channel + " (bytes)", new String(bytes, StandardCharsets.ISO_8859_1));
  }

  /** Message, localized message, toString and stack trace of {@code t}, its causes and suppressed. */
  public synchronized void exception(Throwable t) {
    exceptions++;
    StringBuilder sb = new StringBuilder();
    walk(t, sb);
    sb.append(Rendering.stackTrace(t));
    text("exceptions", sb.toString());
  }

  private void walk(Throwable t, StringBuilder sb) {
    if (t == null || !seenThrowables.add(t)) {
      return;
    }
    sb.append(t.getClass().getName()).append(": ").append(t.getMessage()).append(" / ").append(t.getLocalizedMessage())
        .append(" / ").append(Rendering.string(t)).append('\n');
    walk(t.getCause(), sb);
    for (Throwable s : t.getSuppressed()) {
      walk(s, sb);
    }
  }

  /** {@code toString()} of each object, and of the elements of collections, maps and optionals. */
  public synchronized void toStrings(Object... values) {
    for (Object v : values) {
      objects++;
      StringBuilder sb = new StringBuilder(v == null ? "null" : v.getClass().getName()).append(": ")
          .append(Rendering.string(v)).append('\n');
      if (v instanceof Collection<?> c) {
        c.forEach(e -> sb.append("  element: ").append(Rendering.string(e)).append('\n'));
      } else if (v instanceof Map<?, ?> m) {
        m.forEach((k, e) -> sb.append("  entry: ").append(Rendering.string(k)).append(" = ")
            .append(Rendering.string(e)).append('\n'));
      } else if (v instanceof Optional<?> o) {
        o.ifPresent(e -> sb.append("  value: ").append(Rendering.string(e)).append('\n'));
      }
      text("toString()", sb.toString());
    }
  }

  public synchronized int exceptionCount() {
    return exceptions;
  }

  public synchronized int objectCount() {
    return objects;
  }

  public synchronized Map<String, String> channels() {
    Map<String, String> copy = new LinkedHashMap<>();
    channels.forEach((k, v) -> copy.put(k, v.toString()));
    return copy;
  }
}
