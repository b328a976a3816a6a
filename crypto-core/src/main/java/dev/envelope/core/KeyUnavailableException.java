package dev.envelope.core;

/**
 * A key needed for the operation cannot be used: no master key the caller allows matches the
 * ciphertext, a KMS key is disabled or pending deletion, a key version is missing, or a data key
 * was destroyed (crypto-shredding).
 */
public class KeyUnavailableException extends EnvelopeException {
  private static final long serialVersionUID = 1L;

  public KeyUnavailableException(String message) {
    super(message);
  }

  public KeyUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
