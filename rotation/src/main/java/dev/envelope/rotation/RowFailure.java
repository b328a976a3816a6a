package dev.envelope.rotation;

import java.util.Objects;

/**
 * A row the job left untouched.
 *
 * @param rowId the row's primary key, as text
 * @param reason the category of the failure (never the value or the exception message)
 */
public record RowFailure(String rowId, FailureReason reason) {
  public RowFailure {
    Objects.requireNonNull(rowId, "rowId");
    Objects.requireNonNull(reason, "reason");
  }
}
