package dev.envelope.secrets;

import dev.envelope.core.KmsException;

/**
 * {@link CachingSecrets} holds a value for the secret, but it is older than {@code ttl + maxStale}
 * and the store keeps failing, so the value is no longer served. The cause is the store's last
 * failure. Retryable: the next successful refresh clears it.
 */
public class StaleSecretException extends KmsException {
  private static final long serialVersionUID = 1L;

  public StaleSecretException(String message, Throwable cause) {
    super(message, true, cause);
  }
}
