package dev.envelope.rotation;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.FieldEncryptor;
import dev.envelope.rotation.internal.EnvelopeCipher;
import dev.envelope.rotation.internal.FieldCipher;

/**
 * What a re-encrypt job needs from an encryption format: decrypt an old value, encrypt a new one,
 * and tell cheaply whether a value is already in the target form. Adapters exist for
 * {@link Envelope} message values ({@link #of(Envelope)}) and {@link FieldEncryptor} field values
 * ({@link #of(FieldEncryptor, long...)}); any other format can implement it.
 *
 * <p>Row-level failures must be reported as {@link dev.envelope.core.InvalidCiphertextException}
 * (altered value, wrong context) or {@link dev.envelope.core.KeyUnavailableException} (no allowed
 * key); the job records them and goes on. Any other exception stops the job.
 */
public interface ValueCipher {
  /** Decrypts a stored value bound to {@code context}. */
  byte[] decrypt(byte[] value, EncryptionContext context);

  /** Encrypts {@code plaintext} under this cipher's current key, bound to {@code context}. */
  byte[] encrypt(byte[] plaintext, EncryptionContext context);

  /**
   * Whether {@code value} is already under this cipher's current key, judged from its header
   * alone (no key call, no context): such rows are counted as current and left alone. A value
   * that cannot be parsed is not current.
   */
  boolean isCurrent(byte[] value);

  /**
   * Envelope message values. {@link #isCurrent} is true when the value's wrapped data keys name
   * exactly this envelope's master keys at the versions they wrap under now (learned once by
   * wrapping a throwaway data key). A provider that records no key version (AWS KMS automatic
   * rotation) therefore treats every value under the same key id as current, which is right: the
   * KMS keeps every backing version.
   */
  static ValueCipher of(Envelope envelope) {
    return new EnvelopeCipher(envelope);
  }

  /**
   * Field values ({@code FieldEncryptor}). As a target, {@link #isCurrent} is true for every
   * well-formed field value except those under {@code dataKeysToReplace}: with no ids, a job moves
   * a column from message format (or anything else) to field format; with the ids of data keys to
   * retire (see {@link FieldEncryptor#dataKeyIdOf}), it re-encrypts exactly their values. Retire
   * those keys first ({@link FieldEncryptor#retire}) so new values go to a fresh key.
   */
  static ValueCipher of(FieldEncryptor fields, long... dataKeysToReplace) {
    return new FieldCipher(fields, dataKeysToReplace);
  }
}
