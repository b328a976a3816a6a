package dev.envelope.core;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A plaintext data key held by {@link DataKeyCache}, reference-counted so that eviction zeroes it
 * only after the last user released it: a key zeroed on eviction is never used afterwards.
 */
final class CachedKey {
  private static final int EVICTED = 1 << 30;

  final SecretBytes dataKey;
  /** Encrypt side: the cached header middle (docs/format.md §3); decrypt side: null. */
  final byte[] headerMiddle;
  final AtomicLong messages = new AtomicLong();
  final AtomicLong bytes = new AtomicLong();
  private final AtomicInteger state = new AtomicInteger();

  CachedKey(SecretBytes dataKey, byte[] headerMiddle) {
    this.dataKey = dataKey;
    this.headerMiddle = headerMiddle;
  }

  /** @return false if the key was already evicted; then it must not be used. */
  boolean tryAcquire() {
    for (;;) {
      int s = state.get();
      if ((s & EVICTED) != 0) {
        return false;
      }
      if (state.compareAndSet(s, s + 1)) {
        return true;
      }
    }
  }

  void release() {
    if (state.decrementAndGet() == EVICTED) {
      dataKey.destroy();
    }
  }

  /** Marks the key evicted; zeroes it now if nobody holds it, else when the last user releases. */
  void evict() {
    for (;;) {
      int s = state.get();
      if ((s & EVICTED) != 0) {
        return;
      }
      if (state.compareAndSet(s, s | EVICTED)) {
        if (s == 0) {
          dataKey.destroy();
        }
        return;
      }
    }
  }

  boolean isEvicted() {
    return (state.get() & EVICTED) != 0;
  }
}
