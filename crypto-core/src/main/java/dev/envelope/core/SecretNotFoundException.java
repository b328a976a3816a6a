package dev.envelope.core;

/** A secret, or the requested version or stage of it, does not exist. */
public class SecretNotFoundException extends EnvelopeException {
  private static final long serialVersionUID = 1L;

  public SecretNotFoundException(String message) {
    super(message);
  }

  public SecretNotFoundException(String message, Throwable cause) {
    super(message, cause);
  }
}
