package dev.envelope.rotation;

import java.util.Map;
import java.util.Objects;

/**
 * The row a {@link RowContext} builds an encryption context for: its primary key and the context
 * columns the job was asked to read. Never carries the encrypted value.
 */
public final class Row {
  private final Object id;
  private final String idString;
  private final Map<String, String> columns;

  /** For jobs and tests; {@code columns} maps each declared context column to its value (may be null). */
  public Row(Object id, Map<String, String> columns) {
    this.id = Objects.requireNonNull(id, "id");
    this.idString = id.toString();
    this.columns = java.util.Collections.unmodifiableMap(new java.util.HashMap<>(columns));
  }

  /** The primary key as JDBC returned it: {@code Long}, {@code String} or {@code UUID}. */
  public Object id() {
    return id;
  }

  /** The primary key as text, as it appears in encryption contexts and failure reports. */
  public String idString() {
    return idString;
  }

  /**
   * A context column's value as text, or null for SQL NULL.
   *
   * @throws IllegalArgumentException if {@code column} was not declared with {@code contextColumns}
   */
  public String get(String column) {
    if (!columns.containsKey(column)) {
      throw new IllegalArgumentException("column " + column + " was not declared as a context column");
    }
    return columns.get(column);
  }

  @Override
  public String toString() {
    return "Row[id=" + idString + "]";
  }
}
