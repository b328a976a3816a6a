package dev.envelope.testkit;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts the calls a fake received per operation, including the ones a {@link FaultInjector}
 * failed, so tests can assert "one GenerateDataKey for 64 threads" or "ReEncrypt, never Decrypt".
 * Thread-safe.
 */
public final class CallCounter {
  private final ConcurrentHashMap<String, LongAdder> received = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, LongAdder> failed = new ConcurrentHashMap<>();

  /** Called by a fake for every call it received. */
  public void record(String operation) {
    received.computeIfAbsent(operation, k -> new LongAdder()).increment();
  }

  /** Called by a fake for every call it answered with an error (injected or real). */
  public void recordFailure(String operation) {
    failed.computeIfAbsent(operation, k -> new LongAdder()).increment();
  }

  /** Calls of {@code operation} received, successful or not. */
  public long count(String operation) {
    LongAdder a = received.get(operation);
    return a == null ? 0 : a.sum();
  }

  /** Calls of {@code operation} answered with an error. */
  public long failures(String operation) {
    LongAdder a = failed.get(operation);
    return a == null ? 0 : a.sum();
  }

  /** Calls of {@code operation} answered successfully. */
  public long successes(String operation) {
    return count(operation) - failures(operation);
  }

  /** Calls of every operation. */
  public long total() {
    long n = 0;
    for (LongAdder a : received.values()) {
      n += a.sum();
    }
    return n;
  }

  /** Received calls per operation, sorted by name. */
  public Map<String, Long> snapshot() {
    Map<String, Long> out = new TreeMap<>();
    received.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  /** Forgets every count. */
  public void reset() {
    received.clear();
    failed.clear();
  }

  @Override
  public String toString() {
    return "CallCounter" + snapshot();
  }
}
