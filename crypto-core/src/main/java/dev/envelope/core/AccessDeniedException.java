package dev.envelope.core;

/** The caller's identity is not allowed to use a key or secret. */
public class AccessDeniedException extends EnvelopeException {
  private static final long serialVersionUID = 1L;

  public AccessDeniedException(String message) {
    super(message);
  }

  public AccessDeniedException(String message, Throwable cause) {
    super(message, cause);
  }
}
