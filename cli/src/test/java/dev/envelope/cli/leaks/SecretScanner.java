package dev.envelope.cli.leaks;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Looks for known secrets in captured text, in the forms a leak takes: the text itself (for text
 * secrets), lower and upper case hex, standard and URL-safe base64 with and without padding, the
 * base64 of the secret as part of a larger buffer (its fully covered groups, at each of the three
 * byte alignments), {@code Arrays.toString} of the bytes, and the raw bytes read as ISO-8859-1.
 *
 * <p>Every needle is at least {@link #WINDOW} characters, so one rolling hash over the text finds
 * all of them in a single pass.
 */
public final class SecretScanner {
  /** Shortest needle; secrets are at least 24 bytes or 16 characters, so every form is longer. */
  public static final int WINDOW = 16;
  private static final long BASE = 0x100000001B3L;
  private static final int FILTER_BITS = 22;

  /** A value that must never appear; {@code text} secrets are also searched as they are. */
  public record Secret(String label, byte[] bytes, boolean text) {
    public Secret {
      bytes = bytes.clone();
      if (text ? bytes.length < WINDOW : bytes.length < 24) {
        throw new IllegalArgumentException(label + ": too short to search for without false positives");
      }
    }

    @Override
    public String toString() {
      return "Secret[" + label + ", " + bytes.length + " bytes]";
    }
  }

  /** One form of one secret. */
  public record Needle(Secret secret, String form, String value) {}

  /** Where a form of a secret was found; the excerpt shows the surroundings with the secret masked. */
  public record Finding(String secret, String form, String channel, String excerpt) {
    @Override
    public String toString() {
      return secret + " as " + form + " in " + channel + ": …" + excerpt + "…";
    }
  }

  private final Map<Long, List<Needle>> byPrefixHash = new HashMap<>();
  private final BitSet filter = new BitSet(1 << FILTER_BITS);
  private final long topPower;
  private final int needles;

  public SecretScanner(Iterable<Secret> secrets) {
    long p = 1;
    for (int i = 1; i < WINDOW; i++) {
      p *= BASE;
    }
    topPower = p;
    int n = 0;
    for (Secret s : secrets) {
      for (Needle needle : forms(s)) {
        long h = hash(needle.value(), 0);
        List<Needle> bucket = byPrefixHash.computeIfAbsent(h, k -> new ArrayList<>());
        if (bucket.stream().noneMatch(b -> b.value().equals(needle.value()))) {
          bucket.add(needle);
          filter.set(slot(h));
          n++;
        }
      }
    }
    needles = n;
  }

  public int needleCount() {
    return needles;
  }

  /** Every searched form of {@code s}. */
  public static List<Needle> forms(Secret s) {
    byte[] b = s.bytes();
    Map<String, String> forms = new LinkedHashMap<>();
    if (s.text()) {
      forms.put("text", new String(b, StandardCharsets.UTF_8));
    } else {
      forms.put("raw bytes (ISO-8859-1)", new String(b, StandardCharsets.ISO_8859_1));
    }
    forms.put("hex", HexFormat.of().formatHex(b));
    forms.put("HEX", HexFormat.of().withUpperCase().formatHex(b));
    forms.put("base64", Base64.getEncoder().encodeToString(b));
    forms.put("base64url", Base64.getUrlEncoder().encodeToString(b));
    for (int offset = 0; offset < 3; offset++) {
      int whole = (b.length - offset) / 3 * 3;
      byte[] part = Arrays.copyOfRange(b, offset, offset + whole);
      forms.put("base64 from byte " + offset, Base64.getEncoder().withoutPadding().encodeToString(part));
      forms.put("base64url from byte " + offset, Base64.getUrlEncoder().withoutPadding().encodeToString(part));
    }
    String decimal = Arrays.toString(b);
    forms.put("Arrays.toString", decimal.substring(1, decimal.length() - 1));
    List<Needle> out = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    forms.forEach((form, value) -> {
      if (seen.add(value)) {
        out.add(new Needle(s, form, value));
      }
    });
    return out;
  }

  /** Every (secret, form) found in {@code text}, once each. */
  public List<Finding> scan(String channel, String text) {
    List<Finding> found = new ArrayList<>();
    if (text.length() < WINDOW) {
      return found;
    }
    Set<Needle> reported = new java.util.HashSet<>();
    long h = hash(text, 0);
    for (int i = 0; ; i++) {
      if (filter.get(slot(h))) {
        List<Needle> bucket = byPrefixHash.get(h);
        if (bucket != null) {
          for (Needle n : bucket) {
            if (text.startsWith(n.value(), i) && reported.add(n)) {
              found.add(new Finding(n.secret().label(), n.form(), channel, excerpt(text, i, n.value().length())));
            }
          }
        }
      }
      if (i + WINDOW >= text.length()) {
        break;
      }
      h = (h - text.charAt(i) * topPower) * BASE + text.charAt(i + WINDOW);
    }
    return found;
  }

  private static long hash(String s, int from) {
    long h = 0;
    for (int i = from; i < from + WINDOW; i++) {
      h = h * BASE + s.charAt(i);
    }
    return h;
  }

  private static int slot(long h) {
    return (int) ((h * 0x9E3779B97F4A7C15L) >>> (64 - FILTER_BITS));
  }

  private static String excerpt(String text, int at, int length) {
    int from = Math.max(0, at - 60);
    int to = Math.min(text.length(), at + length + 60);
    return (text.substring(from, at) + "<SECRET>" + text.substring(at + length, to)).replace('\n', '⏎');
  }
}
