package dev.envelope.core;

/** A key management service failed or could not be reached. */
public class KmsException extends EnvelopeException {
  private static final long serialVersionUID = 1L;
  private final boolean retryable;

  public KmsException(String message, boolean retryable) {
    super(message);
    this.retryable = retryable;
  }

  public KmsException(String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.retryable = retryable;
  }

  /** True when the same call may succeed later (throttling, 5xx, timeouts). */
  public boolean isRetryable() {
    return retryable;
  }
}
