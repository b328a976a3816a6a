package dev.envelope.core;

import dev.envelope.core.internal.Gcm;
import dev.envelope.core.internal.keyfile.KeyNames;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.Map;
import java.util.NavigableSet;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.crypto.spec.SecretKeySpec;

/**
 * An AES-256 master key held in this process: generated in memory, or read from a
 * {@link LocalKeyStore} key file. The embedded default for development, tests and the demo.
 *
 * <p>A key has one or more numbered versions. {@link #wrap} always uses the primary version and
 * records it in {@link WrappedKey#version()}; {@link #unwrap} uses whichever version the wrapped
 * key names, so data wrapped before a rotation still unwraps. An instance is an immutable snapshot:
 * a later {@link LocalKeyStore#rotate} does not change it.
 *
 * <p>Wrap format (docs/keyfile.md §6): AES-256-GCM, random 12-byte nonce, wrapped bytes
 * {@code nonce || ciphertext || tag} (60 bytes for a 32-byte data key), AAD
 * {@code "envelope/local-wrap/v1" || u16 len(name) || name || u32 version || context canonical form}.
 *
 * <p>{@link #toString()} shows the name and versions, never key bytes.
 */
public final class LocalMasterKey implements MasterKey {
  /** Provider id in {@link KeyRef} and {@link WrappedKey}. */
  public static final String PROVIDER = "local";
  /** Length of a wrapped data key: nonce, 32 encrypted bytes, tag. */
  public static final int WRAPPED_LENGTH = Gcm.NONCE_LENGTH + DATA_KEY_LENGTH + Gcm.TAG_LENGTH;

  private static final byte[] AAD_LABEL = "envelope/local-wrap/v1".getBytes(StandardCharsets.US_ASCII);
  /** Decimal digits of Integer.MAX_VALUE: a longer version string cannot name a version. */
  private static final int MAX_VERSION_DIGITS = 10;

  private final String name;
  private final byte[] nameBytes;
  private final KeyRef ref;
  private final int primary;
  private final SortedMap<Integer, SecretKeySpec> versions;

  private LocalMasterKey(String name, int primary, SortedMap<Integer, SecretKeySpec> versions) {
    this.name = name;
    this.nameBytes = name.getBytes(StandardCharsets.US_ASCII);
    this.ref = new KeyRef(PROVIDER, name);
    this.primary = primary;
    this.versions = Collections.unmodifiableSortedMap(versions);
  }

  /**
   * A new random AES-256 key, version 1, that lives only in this object.
   *
   * @throws IllegalArgumentException if the name is not 1..128 characters of [A-Za-z0-9._-]
   */
  public static LocalMasterKey generate(String name) {
    KeyNames.check(name);
    byte[] key = new byte[Gcm.KEY_LENGTH];
    try {
      Gcm.randomBytes(key);
      return of(name, key);
    } finally {
      Arrays.fill(key, (byte) 0);
    }
  }

  /**
   * A key with the given bytes as version 1, for tests and known-answer vectors. The bytes are
   * copied; the caller may zero its array afterwards.
   *
   * @throws IllegalArgumentException if the name is invalid or the key is not 32 bytes
   */
  public static LocalMasterKey of(String name, byte[] key32) {
    KeyNames.check(name);
    Objects.requireNonNull(key32, "key32");
    if (key32.length != Gcm.KEY_LENGTH) {
      throw new IllegalArgumentException("a local master key is 32 bytes (AES-256)");
    }
    TreeMap<Integer, SecretKeySpec> map = new TreeMap<>();
    map.put(1, new SecretKeySpec(key32, "AES"));
    return new LocalMasterKey(name, 1, map);
  }

  /**
   * A multi-version snapshot, as {@link LocalKeyStore} reads it. The arrays are copied; the caller
   * zeroes its own.
   */
  static LocalMasterKey ofVersions(String name, int primary, Map<Integer, byte[]> keys) {
    KeyNames.check(name);
    TreeMap<Integer, SecretKeySpec> map = new TreeMap<>();
    for (Map.Entry<Integer, byte[]> e : keys.entrySet()) {
      if (e.getKey() < 1 || e.getValue().length != Gcm.KEY_LENGTH) {
        throw new IllegalArgumentException("versions start at 1 and keys are 32 bytes");
      }
      map.put(e.getKey(), new SecretKeySpec(e.getValue(), "AES"));
    }
    if (!map.containsKey(primary)) {
      throw new IllegalArgumentException("the primary version must be one of the versions");
    }
    return new LocalMasterKey(name, primary, map);
  }

  @Override
  public KeyRef ref() {
    return ref;
  }

  public String name() {
    return name;
  }

  /** The primary version: the one {@link #wrap} uses. */
  public int version() {
    return primary;
  }

  /** Every version this snapshot can unwrap, ascending. */
  public NavigableSet<Integer> versions() {
    return Collections.unmodifiableNavigableSet(new TreeSet<>(versions.keySet()));
  }

  /**
   * Wraps a 32-byte data key under the primary version.
   *
   * @throws IllegalArgumentException if the data key is not 32 bytes
   */
  @Override
  public WrappedKey wrap(SecretBytes dataKey, EncryptionContext context) {
    Objects.requireNonNull(context, "context");
    byte[] plain = dataKey.unsafeBytes();
    if (plain.length != DATA_KEY_LENGTH) {
      throw new IllegalArgumentException("data keys are " + DATA_KEY_LENGTH + " bytes");
    }
    byte[] nonce = new byte[Gcm.NONCE_LENGTH];
    Gcm.randomBytes(nonce);
    byte[] out = new byte[WRAPPED_LENGTH];
    System.arraycopy(nonce, 0, out, 0, nonce.length);
    Gcm.encrypt(versions.get(primary), nonce, aad(primary, context), plain, 0, plain.length, out, nonce.length);
    return new WrappedKey(PROVIDER, name, Integer.toString(primary), out);
  }

  /**
   * @throws InvalidCiphertextException if the wrapped bytes, the version string or the context do
   *     not authenticate
   * @throws KeyUnavailableException if the wrapped key names another key, or a version this
   *     snapshot does not hold
   */
  @Override
  public SecretBytes unwrap(WrappedKey wrapped, EncryptionContext context) {
    Objects.requireNonNull(context, "context");
    if (!canUnwrap(wrapped)) {
      throw new KeyUnavailableException("wrapped key belongs to " + wrapped.keyRef() + ", not " + ref);
    }
    int version = parseVersion(wrapped.version());
    SecretKeySpec key = versions.get(version);
    if (key == null) {
      throw new KeyUnavailableException("local key '" + name + "' has no version " + version);
    }
    byte[] ct = wrapped.unsafeCiphertext();
    if (ct.length != WRAPPED_LENGTH) {
      throw new InvalidCiphertextException();
    }
    byte[] nonce = Arrays.copyOf(ct, Gcm.NONCE_LENGTH);
    byte[] aad = aad(version, context);
    byte[] out = new byte[DATA_KEY_LENGTH];
    if (!Gcm.decrypt(key, nonce, aad, 0, aad.length, ct, Gcm.NONCE_LENGTH, ct.length - Gcm.NONCE_LENGTH, out, 0)) {
      Arrays.fill(out, (byte) 0);
      throw new InvalidCiphertextException();
    }
    return SecretBytes.wrap(out);
  }

  /**
   * Versions are canonical decimals (no sign, no leading zero, at most Integer.MAX_VALUE), so one
   * version has exactly one spelling. A malformed version is a damaged wrapped key.
   */
  private static int parseVersion(String s) {
    int n = s.length();
    if (n == 0 || n > MAX_VERSION_DIGITS || s.charAt(0) == '0') {
      throw new InvalidCiphertextException();
    }
    long v = 0;
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        throw new InvalidCiphertextException();
      }
      v = v * 10 + (c - '0');
    }
    if (v > Integer.MAX_VALUE) {
      throw new InvalidCiphertextException();
    }
    return (int) v;
  }

  /** docs/keyfile.md §6. */
  private byte[] aad(int version, EncryptionContext context) {
    byte[] ctx = context.canonical();
    return ByteBuffer.allocate(AAD_LABEL.length + 2 + nameBytes.length + 4 + ctx.length)
        .put(AAD_LABEL)
        .putShort((short) nameBytes.length)
        .put(nameBytes)
        .putInt(version)
        .put(ctx)
        .array();
  }

  @Override
  public String toString() {
    return "LocalMasterKey[" + name + ", primary version " + primary + ", versions " + versions.keySet()
        + ", key material redacted]";
  }
}
