package dev.envelope.core;

import dev.envelope.core.internal.field.InMemoryDataKeyStore;
import java.util.List;
import java.util.Optional;

/**
 * Where {@link FieldEncryptor} keeps its wrapped data keys: the data-key table of
 * docs/fields.md §3. Each wrapped key is stored once here instead of in every field value.
 *
 * <p>Implementations are thread-safe and may be shared by several encryptors and processes; every
 * update is a single atomic compare-and-set on one row, so concurrent writers never lose each
 * other's changes and a destroyed key is never brought back. Stores hold no secret: only the master
 * key can unwrap what they contain.
 *
 * <p>{@link #inMemory()} is for tests and single-process use; {@link JdbcDataKeyStore} keeps the
 * table in a database (H2, PostgreSQL).
 */
public interface DataKeyStore {
  /** A store in this process's memory, lost when the process ends. */
  static DataKeyStore inMemory() {
    return new InMemoryDataKeyStore();
  }

  /**
   * Adds a row unless one with the same id exists.
   *
   * @return false if the id is taken (the caller draws another id)
   */
  boolean insert(DataKeyRecord row);

  /** The row with this id, if any (destroyed rows are returned as tombstones). */
  Optional<DataKeyRecord> find(long id);

  /**
   * Up to {@code limit} rows with {@code id >= fromId}, ordered by id as a signed 64-bit number,
   * for paging through the whole table from {@link Long#MIN_VALUE}.
   */
  List<DataKeyRecord> list(long fromId, int limit);

  /**
   * Replaces the wrapped key of a row (after a rewrap), only if the row is not destroyed and still
   * holds exactly {@code expected}.
   *
   * @return false if the row is missing, destroyed or was changed meanwhile
   */
  boolean replaceWrapped(long id, WrappedKey expected, WrappedKey replacement);

  /**
   * Moves an active row to {@link DataKeyRecord.State#RETIRED}; a retired or destroyed row stays
   * as it is.
   *
   * @return false if there is no such row
   */
  boolean retire(long id);

  /**
   * Deletes the wrapped key of a row and marks it {@link DataKeyRecord.State#DESTROYED}, keeping
   * the rest as a tombstone. Idempotent.
   *
   * @return false if there is no such row
   */
  boolean destroy(long id);
}
