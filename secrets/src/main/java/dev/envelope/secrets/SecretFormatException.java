package dev.envelope.secrets;

import dev.envelope.core.EnvelopeException;

/**
 * A secret's value does not have the expected form: not UTF-8, not JSON, or JSON that does not fit
 * the requested type. The message says where (line, column, field names), never what the value was.
 */
public class SecretFormatException extends EnvelopeException {
  private static final long serialVersionUID = 1L;

  public SecretFormatException(String message) {
    super(message);
  }
}
