package dev.envelope.rotation;

import dev.envelope.core.EnvelopeException;
import java.sql.SQLException;

/** The database failed; the batch in flight rolled back and the job can be resumed. */
public class RotationDatabaseException extends EnvelopeException {
  private static final long serialVersionUID = 1L;

  public RotationDatabaseException(String message, SQLException cause) {
    super(message, cause);
  }
}
