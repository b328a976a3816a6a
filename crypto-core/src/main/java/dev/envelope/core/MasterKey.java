package dev.envelope.core;

import java.security.SecureRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A key-encryption key held by a KMS or a local key file: the provider SPI. Implementations are
 * immutable and thread-safe, verify what their KMS returns (key id, checksums), and map failures
 * onto {@link KmsException}, {@link KeyUnavailableException}, {@link AccessDeniedException} and
 * {@link InvalidCiphertextException}.
 *
 * <p>The encryption context passed here must be bound by the provider where it can (AWS
 * EncryptionContext, GCP additional authenticated data, local AES-GCM AAD); Envelope always binds
 * it locally as well, so a provider without AAD (Azure wrapKey) gets the same guarantee.
 *
 * <p><b>Async.</b> {@link #generateDataKeyAsync}, {@link #wrapAsync} and {@link #unwrapAsync} are
 * what {@link Envelope#encryptAsync} and {@link Envelope#decryptAsync} call. Their defaults run the
 * synchronous method on the given executor, which is right for local keys and keeps every provider
 * working; a provider with a non-blocking client overrides them so no thread waits on KMS I/O (AWS
 * does, on {@code KmsAsyncClient}). The contract of all three:
 * <ul>
 *   <li>They return at once. A failure completes the future exceptionally with the exception
 *       itself ({@link InvalidCiphertextException}, {@link KmsException}, …), not a
 *       {@link java.util.concurrent.CompletionException} around it; only a null argument may
 *       throw (NullPointerException) at once. {@code get()} reports that exception as the cause
 *       of its {@code ExecutionException}.
 *   <li>The future is completed on a thread of {@code executor} (the defaults) or on a thread of the
 *       provider's client (e.g. the AWS SDK's response threads). Callers do nothing heavy in
 *       dependent stages on that thread: Envelope moves to its own executor before any AES work.
 *   <li>{@code executor} is where the implementation may run work that would otherwise block;
 *       a non-blocking implementation may leave it unused.
 *   <li>If the future is cancelled before the key arrives, the implementation zeroes the key
 *       instead of dropping it.
 * </ul>
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

  /**
   * {@link #generateDataKey} without blocking the caller (see the async contract above). The default
   * runs {@link #generateDataKey} on {@code executor}.
   */
  default CompletableFuture<DataKey> generateDataKeyAsync(EncryptionContext context, Executor executor) {
    return Futures.supply(executor, () -> generateDataKey(context), DataKey::close);
  }

  /** Encrypts {@code dataKey} under this master key, bound to {@code context}. */
  WrappedKey wrap(SecretBytes dataKey, EncryptionContext context);

  /**
   * {@link #wrap} without blocking the caller (see the async contract above); {@code dataKey} must
   * stay unchanged until the future completes. The default runs {@link #wrap} on {@code executor}.
   */
  default CompletableFuture<WrappedKey> wrapAsync(SecretBytes dataKey, EncryptionContext context, Executor executor) {
    return Futures.supply(executor, () -> wrap(dataKey, context), w -> {});
  }

  /**
   * Decrypts a data key this master key wrapped. Only called with a {@code wrapped} for which
   * {@link #canUnwrap} returned true.
   *
   * @throws InvalidCiphertextException if the wrapped key or the context does not authenticate
   */
  SecretBytes unwrap(WrappedKey wrapped, EncryptionContext context);

  /**
   * {@link #unwrap} without blocking the caller (see the async contract above): a wrapped key or
   * context that does not authenticate fails the future with {@link InvalidCiphertextException}.
   * The default runs {@link #unwrap} on {@code executor}.
   */
  default CompletableFuture<SecretBytes> unwrapAsync(WrappedKey wrapped, EncryptionContext context, Executor executor) {
    return Futures.supply(executor, () -> unwrap(wrapped, context), SecretBytes::destroy);
  }

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
