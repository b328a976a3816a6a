package dev.envelope.rotation;

import dev.envelope.core.EncryptionContext;
import dev.envelope.rotation.internal.ContextTemplate;
import java.util.Set;

/**
 * Builds the encryption context a row's value was encrypted with, e.g.
 * {@code row -> EncryptionContext.of("table", "users", "id", row.idString())}.
 */
@FunctionalInterface
public interface RowContext {
  EncryptionContext forRow(Row row);

  /** Columns besides the primary key this context reads; the job selects them with the value. */
  default Set<String> columns() {
    return Set.of();
  }

  /**
   * A context from a template such as {@code table=users,id={id},tenant={tenant_id}}: pairs
   * separated by commas; {@code {id}} is the primary key, {@code {name}} the column {@code name}
   * (read as text; a NULL fails that row with {@link FailureReason#CONTEXT}).
   *
   * @throws IllegalArgumentException if the template is malformed
   */
  static RowContext template(String template) {
    return ContextTemplate.parse(template);
  }
}
