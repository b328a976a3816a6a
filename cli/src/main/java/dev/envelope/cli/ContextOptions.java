package dev.envelope.cli;

import dev.envelope.core.EncryptionContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parses repeated {@code --context k=v}. */
final class ContextOptions {
  private ContextOptions() {}

  static EncryptionContext parse(List<String> pairs) {
    Map<String, String> map = new LinkedHashMap<>();
    if (pairs != null) {
      for (String p : pairs) {
        int eq = p.indexOf('=');
        if (eq <= 0) {
          throw new IllegalArgumentException("--context takes KEY=VALUE");
        }
        String k = p.substring(0, eq);
        if (map.put(k, p.substring(eq + 1)) != null) {
          throw new IllegalArgumentException("--context key given twice: " + k);
        }
      }
    }
    return EncryptionContext.of(map);
  }
}
