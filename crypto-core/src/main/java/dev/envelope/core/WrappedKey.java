package dev.envelope.core;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A data key encrypted ("wrapped") under a master key, as stored in a message header or a
 * data-key table (docs/format.md §3.2). Not secret: only the master key can unwrap it.
 *
 * @param provider provider id, e.g. {@code local}, {@code aws-kms}
 * @param keyId the master key's id as the provider reported it when wrapping (an ARN for AWS, a
 *     key name for GCP, a key URL for Azure, a key name for local keys)
 * @param version the master key version that wrapped it where the provider exposes one
 *     (GCP cryptoKeyVersion, Azure key version, local key version), else empty
 * @param ciphertext the provider's wrapped bytes
 */
public record WrappedKey(String provider, String keyId, String version, byte[] ciphertext) {
  public static final int MAX_PROVIDER_LENGTH = 64;
  public static final int MAX_KEY_ID_LENGTH = 2048;
  public static final int MAX_VERSION_LENGTH = 2048;
  public static final int MAX_CIPHERTEXT_LENGTH = 8192;

  public WrappedKey {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(keyId, "keyId");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(ciphertext, "ciphertext");
    check(provider, MAX_PROVIDER_LENGTH, "provider", false);
    check(keyId, MAX_KEY_ID_LENGTH, "keyId", false);
    check(version, MAX_VERSION_LENGTH, "version", true);
    if (ciphertext.length == 0 || ciphertext.length > MAX_CIPHERTEXT_LENGTH) {
      throw new IllegalArgumentException("wrapped key must be 1.." + MAX_CIPHERTEXT_LENGTH + " bytes");
    }
    ciphertext = ciphertext.clone();
  }

  private static void check(String s, int max, String what, boolean mayBeEmpty) {
    int len = s.getBytes(StandardCharsets.UTF_8).length;
    if ((!mayBeEmpty && len == 0) || len > max) {
      throw new IllegalArgumentException(what + " must be " + (mayBeEmpty ? 0 : 1) + ".." + max + " bytes of UTF-8");
    }
  }

  /** A copy of the wrapped bytes. */
  @Override
  public byte[] ciphertext() {
    return ciphertext.clone();
  }

  /** The wrapped bytes without a copy; never modify them. */
  public byte[] unsafeCiphertext() {
    return ciphertext;
  }

  public KeyRef keyRef() {
    return new KeyRef(provider, keyId);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof WrappedKey w
        && provider.equals(w.provider)
        && keyId.equals(w.keyId)
        && version.equals(w.version)
        && Arrays.equals(ciphertext, w.ciphertext);
  }

  @Override
  public int hashCode() {
    return Objects.hash(provider, keyId, version) * 31 + Arrays.hashCode(ciphertext);
  }

  @Override
  public String toString() {
    return "WrappedKey[" + provider + ":" + keyId + (version.isEmpty() ? "" : " version " + version)
        + ", " + ciphertext.length + " bytes]";
  }
}
