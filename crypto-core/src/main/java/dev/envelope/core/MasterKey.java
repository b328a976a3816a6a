package dev.envelope.core;

import java.security.SecureRandom;

/**
 * A key-encryption key held by a KMS or a local key file: the provider SPI. Implementations are
 * immutable and thread-safe, verify what their KMS returns (key id, checksums), and map failures
 * onto {@link KmsException}, {@link KeyUnavailableException}, {@link AccessDeniedException} and
 * {@link InvalidCiphertextException}.
 *
 * <p>The encryption context passed here must be bound by the provider where it can (AWS
 * EncryptionContext, GCP additional authenticated data, local AES-GCM AAD); Envelope always binds
 * it locally as well, so a provider without AAD (Azure wrapKey) gets the same guarantee.
 */
public interface MasterKey {
  /** Length of every data key: AES-256. */
  int DATA_KEY_LENGTH = 32;

  /** The key this object stands for, without a version. */
  KeyRef ref();

  /**
   * A new data key and its wrapped form. The default draws 32 random bytes locally and calls
   * {@link #wrap}; AWS overrides it with one GenerateDataKey call.
   */
  default DataKey generateDataKey(EncryptionContext context) {
    byte[] key = new byte[DATA_KEY_LENGTH];
    DefaultRandom.INSTANCE.nextBytes(key);
    SecretBytes secret = SecretBytes.wrap(key);
    try {
      return new DataKey(secret, wrap(secret, context));
    } catch (RuntimeException e) {
      secret.destroy();
      throw e;
    }
  }

  /** Encrypts {@code dataKey} under this master key, bound to {@code context}. */
  WrappedKey wrap(SecretBytes dataKey, EncryptionContext context);

  /**
   * Decrypts a data key this master key wrapped. Only called with a {@code wrapped} for which
   * {@link #canUnwrap} returned true.
   *
   * @throws InvalidCiphertextException if the wrapped key or the context does not authenticate
   */
  SecretBytes unwrap(WrappedKey wrapped, EncryptionContext context);

  /**
   * Re-wraps a data key under {@code destination} (which may be this key's newer version). The
   * default unwraps here and wraps there; KMS providers override it when both keys live in the
   * same KMS (AWS ReEncrypt), so the data key never leaves the KMS.
   */
  default WrappedKey rewrap(WrappedKey wrapped, MasterKey destination, EncryptionContext context) {
    try (SecretBytes dataKey = unwrap(wrapped, context)) {
      return destination.wrap(dataKey, context);
    }
  }

  /**
   * Whether {@code wrapped} names this master key, so {@link #unwrap} may be tried. Strict by
   * default: same provider and same key id. Providers widen it only for ids that denote the same
   * key (AWS multi-Region replicas).
   */
  default boolean canUnwrap(WrappedKey wrapped) {
    KeyRef ref = ref();
    return ref.provider().equals(wrapped.provider()) && ref.keyId().equals(wrapped.keyId());
  }
}

/** Shared strong random source for data keys; SecureRandom is thread-safe. */
final class DefaultRandom {
  static final SecureRandom INSTANCE = new SecureRandom();

  private DefaultRandom() {}
}
