package dev.envelope.cli.leaks;

import dev.envelope.cli.leaks.SecretScanner.Secret;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Every secret a run used: generated here with distinctive random content, or collected from it. */
public final class KnownSecrets {
  private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

  private final SecureRandom random = new SecureRandom();
  private final Map<String, Secret> byValue = new LinkedHashMap<>();
  private final Map<String, Integer> perKind = new LinkedHashMap<>();

  /** Random bytes, registered under {@code kind}. */
  public synchronized byte[] bytes(String kind, int length) {
    byte[] b = new byte[length];
    random.nextBytes(b);
    add(kind, b, false);
    return b;
  }

  /** A distinctive text token ({@code kind} plus 24 random letters and digits), registered under {@code kind}. */
  public synchronized String token(String kind) {
    String t = randomToken(kind);
    add(kind, t.getBytes(StandardCharsets.UTF_8), true);
    return t;
  }

  /** Like {@link #token} without registering it. */
  public String randomToken(String kind) {
    StringBuilder sb = new StringBuilder(kind.replaceAll("[^A-Za-z0-9]", "")).append('_');
    for (int i = 0; i < 24; i++) {
      sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return sb.toString();
  }

  public synchronized void add(String kind, byte[] value, boolean text) {
    String key = HexFormat.of().formatHex(value);
    if (!byValue.containsKey(key)) {
      int n = perKind.merge(kind, 1, Integer::sum);
      byValue.put(key, new Secret(kind + " #" + n, value, text));
    }
  }

  public synchronized void addText(String kind, String value) {
    add(kind, value.getBytes(StandardCharsets.UTF_8), true);
  }

  public synchronized List<Secret> all() {
    return new ArrayList<>(byValue.values());
  }

  /** How many distinct secrets of {@code kind} were registered. */
  public synchronized int count(String kind) {
    return perKind.getOrDefault(kind, 0);
  }

  public synchronized Map<String, Integer> counts() {
    return Map.copyOf(perKind);
  }
}
