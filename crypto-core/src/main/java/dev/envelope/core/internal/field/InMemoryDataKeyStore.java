package dev.envelope.core.internal.field;

import dev.envelope.core.DataKeyRecord;
import dev.envelope.core.DataKeyStore;
import dev.envelope.core.WrappedKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;

/** {@link DataKeyStore#inMemory()}: the same semantics as the JDBC store, in a concurrent map. */
public final class InMemoryDataKeyStore implements DataKeyStore {
  private final ConcurrentSkipListMap<Long, DataKeyRecord> rows = new ConcurrentSkipListMap<>();

  @Override
  public boolean insert(DataKeyRecord row) {
    Objects.requireNonNull(row, "row");
    return rows.putIfAbsent(row.id(), row) == null;
  }

  @Override
  public Optional<DataKeyRecord> find(long id) {
    return Optional.ofNullable(rows.get(id));
  }

  @Override
  public List<DataKeyRecord> list(long fromId, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1");
    }
    List<DataKeyRecord> out = new ArrayList<>(Math.min(limit, 256));
    for (DataKeyRecord r : rows.tailMap(fromId, true).values()) {
      if (out.size() == limit) {
        break;
      }
      out.add(r);
    }
    return out;
  }

  @Override
  public boolean replaceWrapped(long id, WrappedKey expected, WrappedKey replacement) {
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(replacement, "replacement");
    boolean[] done = {false};
    rows.computeIfPresent(id, (k, r) -> {
      if (r.state() == DataKeyRecord.State.DESTROYED || !r.wrapped().equals(expected)) {
        return r;
      }
      done[0] = true;
      return r.withWrapped(replacement);
    });
    return done[0];
  }

  @Override
  public boolean retire(long id) {
    return rows.computeIfPresent(id,
        (k, r) -> r.state() == DataKeyRecord.State.ACTIVE ? r.withState(DataKeyRecord.State.RETIRED) : r) != null;
  }

  @Override
  public boolean destroy(long id) {
    return rows.computeIfPresent(id, (k, r) -> r.withState(DataKeyRecord.State.DESTROYED)) != null;
  }

  @Override
  public String toString() {
    return "DataKeyStore.inMemory[" + rows.size() + " rows]";
  }
}
