package dev.envelope.core;

/**
 * A ciphertext could not be decrypted: it was altered, truncated, extended, is not an Envelope
 * ciphertext, or does not match the encryption context given to decrypt.
 *
 * <p>Every such failure carries the same message, so the exception is no oracle for which check
 * failed.
 */
public final class InvalidCiphertextException extends EnvelopeException {
  private static final long serialVersionUID = 1L;

  static final String MESSAGE =
      "Unable to decrypt: the ciphertext is invalid, was altered, or does not match the encryption context";

  public InvalidCiphertextException() {
    super(MESSAGE);
  }

  /** The cause is kept for debugging in-process; it is never shown in the message. */
  public InvalidCiphertextException(Throwable cause) {
    super(MESSAGE, cause);
  }
}
