package dev.envelope.core.internal.field;

import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.util.Arrays;
import java.util.concurrent.locks.StampedLock;
import javax.crypto.SecretKey;

/**
 * A plaintext field data key (or blind-index key) that can be zeroed while other threads may be
 * using it, without ever letting them encrypt under the zeroed bytes.
 *
 * <p>Users read it optimistically, seqlock style: take {@link #open()}, hand the key to
 * {@code Cipher.init} (which copies it through {@link #getEncoded()}), finish the operation, then
 * check {@link #stillValid}. {@link #destroy()} takes the write lock for good before zeroing, so a
 * stamp taken before the zeroing fails validation afterwards and the caller discards its result and
 * retries with a live key. Unlike reference counting this costs no write on the hot path.
 */
public final class FieldKey implements SecretKey {
  private static final long serialVersionUID = 1L;

  private final byte[] key;
  private final String algorithm;
  private final StampedLock lock = new StampedLock();

  /** Takes ownership of {@code key}; the caller must not use or zero the array afterwards. */
  public FieldKey(byte[] key, String algorithm) {
    if (key.length != 32) {
      throw new IllegalArgumentException("field keys are 32 bytes");
    }
    this.key = key;
    this.algorithm = algorithm;
  }

  /** A stamp for {@link #stillValid}, or 0 if the key is already destroyed. */
  public long open() {
    return lock.tryOptimisticRead();
  }

  /** True if the key was not destroyed since {@code stamp} was taken (0 is never valid). */
  public boolean stillValid(long stamp) {
    return lock.validate(stamp);
  }

  @Override
  public String getAlgorithm() {
    return algorithm;
  }

  @Override
  public String getFormat() {
    return "RAW";
  }

  /** A copy, as {@link java.security.Key} requires; JCE providers zero their copy after use. */
  @Override
  public byte[] getEncoded() {
    return key.clone();
  }

  /** Zeroes the key. Idempotent; in-flight users see their stamp fail validation. */
  @Override
  public void destroy() {
    if (lock.tryWriteLock() != 0L) {
      // Never unlocked: every later stamp is 0, every earlier one fails validation.
      Arrays.fill(key, (byte) 0);
    }
  }

  @Override
  public boolean isDestroyed() {
    return lock.isWriteLocked();
  }

  private void writeObject(ObjectOutputStream out) throws NotSerializableException {
    throw new NotSerializableException("field keys are never serialized");
  }

  @Override
  public String toString() {
    return "FieldKey[" + algorithm + ", redacted]";
  }
}
