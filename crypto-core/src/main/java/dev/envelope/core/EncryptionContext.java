package dev.envelope.core;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Non-secret key/value pairs bound to a ciphertext as additional authenticated data: decryption
 * succeeds only with exactly the same pairs (order does not matter).
 *
 * <p>Canonical form (docs/format.md §2): pairs sorted by the unsigned bytes of their UTF-8 keys,
 * each key and value length-prefixed, so {@code a=b,c} and {@code a=b},{@code c} never collide.
 * Strings are compared as their exact UTF-8 bytes: no Unicode normalisation is applied, so
 * {@code "é"} (U+00E9) and {@code "e\u0301"} are different keys.
 *
 * <p>{@link #toString()} shows keys only; values may be personal data.
 */
public final class EncryptionContext {
  /** Keys with this prefix are reserved for Envelope's own entries. */
  public static final String RESERVED_PREFIX = "envelope:";
  /** Upper bound of the canonical form, in bytes (docs/format.md §2). */
  public static final int MAX_CANONICAL_BYTES = 8192;

  private static final EncryptionContext EMPTY = new EncryptionContext(Map.of(), new byte[] {0, 0});

  private final Map<String, String> pairs; // sorted by UTF-8 key bytes, unmodifiable
  private final byte[] canonical;
  private final int hash;

  private EncryptionContext(Map<String, String> pairs, byte[] canonical) {
    this.pairs = pairs;
    this.canonical = canonical;
    this.hash = Arrays.hashCode(canonical);
  }

  public static EncryptionContext empty() {
    return EMPTY;
  }

  /** {@code of("tenant", "42", "purpose", "invoice")}: alternating keys and values. */
  public static EncryptionContext of(String... keysAndValues) {
    if (keysAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("keys and values must come in pairs");
    }
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      String k = keysAndValues[i];
      String v = keysAndValues[i + 1];
      if (k == null || v == null) {
        throw new IllegalArgumentException("context keys and values must not be null");
      }
      if (map.put(k, v) != null) {
        throw new IllegalArgumentException("duplicate context key: " + k);
      }
    }
    return of(map);
  }

  public static EncryptionContext of(Map<String, String> map) {
    if (map.isEmpty()) {
      return EMPTY;
    }
    for (String k : map.keySet()) {
      if (k != null && k.startsWith(RESERVED_PREFIX)) {
        throw new IllegalArgumentException("context keys starting with '" + RESERVED_PREFIX + "' are reserved");
      }
    }
    return build(map);
  }

  private static EncryptionContext build(Map<String, String> map) {
    TreeMap<byte[], String[]> sorted = new TreeMap<>(Arrays::compareUnsigned);
    for (Map.Entry<String, String> e : map.entrySet()) {
      String k = e.getKey();
      String v = e.getValue();
      if (k == null || v == null) {
        throw new IllegalArgumentException("context keys and values must not be null");
      }
      if (k.isEmpty()) {
        throw new IllegalArgumentException("context keys must not be empty");
      }
      sorted.put(utf8(k, "key"), new String[] {k, v});
    }
    if (sorted.size() > 0xFFFF) {
      throw new IllegalArgumentException("too many context pairs");
    }
    ByteBuffer out = ByteBuffer.allocate(MAX_CANONICAL_BYTES);
    LinkedHashMap<String, String> ordered = new LinkedHashMap<>();
    try {
      out.putShort((short) sorted.size());
      for (Map.Entry<byte[], String[]> e : sorted.entrySet()) {
        byte[] kb = e.getKey();
        byte[] vb = utf8(e.getValue()[1], "value");
        if (kb.length > 0xFFFF || vb.length > 0xFFFF) {
          throw new IllegalArgumentException("context too large: at most " + MAX_CANONICAL_BYTES + " bytes");
        }
        out.putShort((short) kb.length).put(kb).putShort((short) vb.length).put(vb);
        ordered.put(e.getValue()[0], e.getValue()[1]);
      }
    } catch (java.nio.BufferOverflowException e) {
      throw new IllegalArgumentException("context too large: at most " + MAX_CANONICAL_BYTES + " bytes in canonical form");
    }
    return new EncryptionContext(Collections.unmodifiableMap(ordered), Arrays.copyOf(out.array(), out.position()));
  }

  /**
   * Parses a canonical form (docs/format.md §2). Rejects anything that is not exactly canonical:
   * unsorted or duplicate keys, bad UTF-8, trailing bytes.
   *
   * @throws IllegalArgumentException if {@code canonical} is not a canonical context
   */
  public static EncryptionContext fromCanonical(byte[] canonical) {
    if (canonical.length < 2 || canonical.length > MAX_CANONICAL_BYTES) {
      throw new IllegalArgumentException("bad canonical context length");
    }
    ByteBuffer in = ByteBuffer.wrap(canonical);
    int count = Short.toUnsignedInt(in.getShort());
    LinkedHashMap<String, String> map = new LinkedHashMap<>();
    byte[] previous = null;
    try {
      for (int i = 0; i < count; i++) {
        byte[] k = new byte[checkedLength(in)];
        in.get(k);
        byte[] v = new byte[checkedLength(in)];
        in.get(v);
        if (k.length == 0 || (previous != null && Arrays.compareUnsigned(previous, k) >= 0)) {
          throw new IllegalArgumentException("context keys not in canonical order");
        }
        previous = k;
        map.put(decode(k), decode(v));
      }
    } catch (java.nio.BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated canonical context");
    }
    if (in.hasRemaining()) {
      throw new IllegalArgumentException("trailing bytes after canonical context");
    }
    if (map.isEmpty()) {
      return EMPTY;
    }
    return new EncryptionContext(Collections.unmodifiableMap(map), canonical.clone());
  }

  private static int checkedLength(ByteBuffer in) {
    int len = Short.toUnsignedInt(in.getShort());
    if (len > in.remaining()) {
      throw new IllegalArgumentException("truncated canonical context");
    }
    return len;
  }

  private static byte[] utf8(String s, String what) {
    try {
      ByteBuffer b = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .encode(CharBuffer.wrap(s));
      return Arrays.copyOf(b.array(), b.limit());
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("context " + what + " is not valid Unicode (unpaired surrogate)");
    }
  }

  private static String decode(byte[] b) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("context is not valid UTF-8");
    }
  }

  /** A new context with one more pair. */
  public EncryptionContext with(String key, String value) {
    if (pairs.containsKey(key)) {
      throw new IllegalArgumentException("duplicate context key: " + key);
    }
    Map<String, String> m = new LinkedHashMap<>(pairs);
    m.put(key, value);
    return of(m);
  }

  /** The pairs in canonical order; unmodifiable. */
  public Map<String, String> asMap() {
    return pairs;
  }

  public Set<String> keys() {
    return pairs.keySet();
  }

  public String get(String key) {
    return pairs.get(key);
  }

  public boolean isEmpty() {
    return pairs.isEmpty();
  }

  public int size() {
    return pairs.size();
  }

  /** A copy of the canonical form (docs/format.md §2). */
  public byte[] canonicalBytes() {
    return canonical.clone();
  }

  /** The canonical form without a copy; callers inside Envelope must not modify it. */
  byte[] canonical() {
    return canonical;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof EncryptionContext other && hash == other.hash && Arrays.equals(canonical, other.canonical);
  }

  @Override
  public int hashCode() {
    return hash;
  }

  /** Keys only: values are often identifiers or personal data. */
  @Override
  public String toString() {
    return "EncryptionContext" + pairs.keySet();
  }
}
