package dev.envelope.rotation.internal;

import dev.envelope.core.EncryptionContext;
import dev.envelope.rotation.Row;
import dev.envelope.rotation.RowContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code key=literal{column}literal,...}: the CLI's --context-template. */
public final class ContextTemplate implements RowContext {
  /** A value: literal text and placeholders, in order; a placeholder is a part starting with '{'. */
  private final Map<String, List<String>> pairs;
  private final Set<String> columns;

  private ContextTemplate(Map<String, List<String>> pairs, Set<String> columns) {
    this.pairs = pairs;
    this.columns = columns;
  }

  public static ContextTemplate parse(String template) {
    if (template == null) {
      throw new IllegalArgumentException("context template must not be null");
    }
    Map<String, List<String>> pairs = new LinkedHashMap<>();
    Set<String> columns = new LinkedHashSet<>();
    if (template.isBlank()) {
      return new ContextTemplate(pairs, columns);
    }
    for (String pair : template.split(",", -1)) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("context template takes KEY=VALUE pairs separated by commas");
      }
      String key = pair.substring(0, eq).trim();
      if (key.indexOf('{') >= 0 || key.indexOf('}') >= 0) {
        throw new IllegalArgumentException("context template keys cannot hold placeholders");
      }
      List<String> parts = new ArrayList<>();
      String value = pair.substring(eq + 1);
      int i = 0;
      while (i < value.length()) {
        int open = value.indexOf('{', i);
        int close = value.indexOf('}', i);
        if (open < 0) {
          if (close >= 0) {
            throw new IllegalArgumentException("context template has an unmatched '}'");
          }
          parts.add(value.substring(i));
          break;
        }
        if (close >= 0 && close < open) {
          throw new IllegalArgumentException("context template has an unmatched '}'");
        }
        if (open > i) {
          parts.add(value.substring(i, open));
        }
        close = value.indexOf('}', open);
        if (close < 0) {
          throw new IllegalArgumentException("context template has an unclosed '{'");
        }
        String name = value.substring(open + 1, close);
        Sql.identifier(name, "context template placeholder", false);
        parts.add("{" + name);
        if (!name.equals("id")) {
          columns.add(name);
        }
        i = close + 1;
      }
      if (pairs.put(key, parts) != null) {
        throw new IllegalArgumentException("context template names a key twice: " + key);
      }
    }
    return new ContextTemplate(pairs, Set.copyOf(columns));
  }

  @Override
  public EncryptionContext forRow(Row row) {
    Map<String, String> map = new LinkedHashMap<>();
    for (Map.Entry<String, List<String>> e : pairs.entrySet()) {
      StringBuilder sb = new StringBuilder();
      for (String part : e.getValue()) {
        if (part.startsWith("{")) {
          String name = part.substring(1);
          String v = name.equals("id") ? row.idString() : row.get(name);
          if (v == null) {
            throw new IllegalStateException("context column " + name + " is NULL");
          }
          sb.append(v);
        } else {
          sb.append(part);
        }
      }
      map.put(e.getKey(), sb.toString());
    }
    return EncryptionContext.of(map);
  }

  @Override
  public Set<String> columns() {
    return columns;
  }

  @Override
  public String toString() {
    return "ContextTemplate" + pairs.keySet();
  }
}
