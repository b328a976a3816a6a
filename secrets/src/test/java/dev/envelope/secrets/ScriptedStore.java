package dev.envelope.secrets;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A store in front of an {@link InMemorySecretStore} that counts calls, records the threads that
 * made them, and can be told to fail or to block until released.
 */
final class ScriptedStore implements SecretStore {
  final InMemorySecretStore delegate = SecretStore.inMemory();
  final AtomicInteger gets = new AtomicInteger();
  final Set<Thread> callerThreads = ConcurrentHashMap.newKeySet();
  private volatile Supplier<? extends RuntimeException> failure;
  private volatile CountDownLatch gate;
  private volatile CountDownLatch entered = new CountDownLatch(1);

  /** Every get throws what {@code f} supplies, until {@link #succeed()}. */
  void failWith(Supplier<? extends RuntimeException> f) {
    this.failure = f;
  }

  void succeed() {
    this.failure = null;
  }

  /** Gets read the value, then wait until {@link #release()}. Returns a latch counted down on entry. */
  CountDownLatch block() {
    entered = new CountDownLatch(1);
    gate = new CountDownLatch(1);
    return entered;
  }

  void release() {
    CountDownLatch g = gate;
    gate = null;
    if (g != null) {
      g.countDown();
    }
  }

  @Override
  public SecretValue get(String name, Version version) {
    gets.incrementAndGet();
    callerThreads.add(Thread.currentThread());
    Supplier<? extends RuntimeException> f = failure;
    // Read before blocking, like a network call whose answer is in flight.
    SecretValue v = f == null ? delegate.get(name, version) : null;
    entered.countDown();
    CountDownLatch g = gate;
    if (g != null) {
      try {
        if (!g.await(30, TimeUnit.SECONDS)) {
          throw new AssertionError("store was never released");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
    if (f != null) {
      throw f.get();
    }
    return v;
  }

  @Override
  public List<VersionInfo> versions(String name) {
    return delegate.versions(name);
  }
}
