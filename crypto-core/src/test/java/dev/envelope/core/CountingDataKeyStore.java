package dev.envelope.core;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/** Decorates a real store and counts the calls that reach it, to prove the warm path skips it. */
final class CountingDataKeyStore implements DataKeyStore {
  final DataKeyStore delegate;
  final AtomicInteger inserts = new AtomicInteger();
  final AtomicInteger finds = new AtomicInteger();
  final AtomicInteger lists = new AtomicInteger();
  final AtomicInteger updates = new AtomicInteger();

  CountingDataKeyStore(DataKeyStore delegate) {
    this.delegate = delegate;
  }

  int calls() {
    return inserts.get() + finds.get() + lists.get() + updates.get();
  }

  @Override
  public boolean insert(DataKeyRecord row) {
    inserts.incrementAndGet();
    return delegate.insert(row);
  }

  @Override
  public Optional<DataKeyRecord> find(long id) {
    finds.incrementAndGet();
    return delegate.find(id);
  }

  @Override
  public List<DataKeyRecord> list(long fromId, int limit) {
    lists.incrementAndGet();
    return delegate.list(fromId, limit);
  }

  @Override
  public boolean replaceWrapped(long id, WrappedKey expected, WrappedKey replacement) {
    updates.incrementAndGet();
    return delegate.replaceWrapped(id, expected, replacement);
  }

  @Override
  public boolean retire(long id) {
    updates.incrementAndGet();
    return delegate.retire(id);
  }

  @Override
  public boolean destroy(long id) {
    updates.incrementAndGet();
    return delegate.destroy(id);
  }

  @Override
  public String toString() {
    return "Counting" + delegate;
  }
}
