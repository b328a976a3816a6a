package dev.envelope.core;

/**
 * Root of every exception Envelope throws. Unchecked, like the AWS SDK's and Tink's.
 *
 * <p>Messages never contain key bytes, plaintext, secret values or encryption-context values;
 * they may name key ids, context keys and operations.
 */
public class EnvelopeException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public EnvelopeException(String message) {
    super(message);
  }

  public EnvelopeException(String message, Throwable cause) {
    super(message, cause);
  }
}
