package dev.envelope.testkit;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * Per-operation faults for a protocol fake: throttling, server errors, named errors, latency and
 * timeouts, so that retries and fail-closed behaviour can be tested against the real SDK clients.
 * Operation names are the protocol's own ({@code GenerateDataKey}, {@code GetSecretValue}, …);
 * {@link #ANY_OPERATION} matches every call.
 *
 * <pre>{@code
 * fake.faults().throttle("GenerateDataKey", 2);          // the next two calls are throttled
 * fake.faults().serverError("Decrypt", FaultInjector.ALWAYS);
 * fake.faults().latency(FaultInjector.ANY_OPERATION, Duration.ofMillis(50));
 * fake.faults().clear();
 * }</pre>
 *
 * <p>Faults for one operation are used in the order they were added; an operation's own faults
 * come before {@link #ANY_OPERATION} ones. Thread-safe.
 */
public final class FaultInjector {
  /** Matches every operation. */
  public static final String ANY_OPERATION = "*";
  /** A count that never runs out: the fault applies until {@link #clear()}. */
  public static final int ALWAYS = Integer.MAX_VALUE;
  /** Upper bound of how long a {@link Fault.Timeout} holds a call, so a forgotten fault cannot hang a build. */
  static final Duration MAX_HOLD = Duration.ofMinutes(5);

  private final Object lock = new Object();
  private final Map<String, ArrayDeque<Rule>> faults = new HashMap<>();
  private final Map<String, Duration> latencies = new HashMap<>();
  /** Bumped by clear/releaseAll: held calls wait for a change of generation. */
  private long generation;
  private boolean closed;

  private static final class Rule {
    final Fault fault;
    int remaining;

    Rule(Fault fault, int remaining) {
      this.fault = fault;
      this.remaining = remaining;
    }
  }

  /** The next {@code times} calls of {@code operation} are throttled. */
  public FaultInjector throttle(String operation, int times) {
    return add(operation, new Fault.Throttle(), times);
  }

  /** The next {@code times} calls of {@code operation} fail with the protocol's 5xx error. */
  public FaultInjector serverError(String operation, int times) {
    return add(operation, new Fault.ServerError(), times);
  }

  /** The next {@code times} calls of {@code operation} fail with the protocol error {@code code}. */
  public FaultInjector error(String operation, String code, int times) {
    return add(operation, new Fault.Error(code), times);
  }

  /** The next {@code times} calls of {@code operation} are held without an answer. */
  public FaultInjector timeout(String operation, int times) {
    return add(operation, new Fault.Timeout(), times);
  }

  /** Adds any fault for the next {@code times} calls of {@code operation}. */
  public FaultInjector add(String operation, Fault fault, int times) {
    checkOperation(operation);
    Objects.requireNonNull(fault, "fault");
    if (times <= 0) {
      throw new IllegalArgumentException("times must be positive");
    }
    synchronized (lock) {
      faults.computeIfAbsent(operation, k -> new ArrayDeque<>()).add(new Rule(fault, times));
    }
    return this;
  }

  /** Every call of {@code operation} waits {@code delay} before it is handled, until cleared. */
  public FaultInjector latency(String operation, Duration delay) {
    checkOperation(operation);
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative");
    }
    synchronized (lock) {
      latencies.put(operation, delay);
    }
    return this;
  }

  /** Removes every fault and latency and releases calls held by a timeout. */
  public void clear() {
    synchronized (lock) {
      faults.clear();
      latencies.clear();
      generation++;
      lock.notifyAll();
    }
  }

  /** Removes the faults and latency of one operation (held calls of every operation are released). */
  public void clear(String operation) {
    checkOperation(operation);
    synchronized (lock) {
      faults.remove(operation);
      latencies.remove(operation);
      generation++;
      lock.notifyAll();
    }
  }

  /** How many uses of faults are still queued for {@code operation} (not counting {@link #ANY_OPERATION}). */
  public int pending(String operation) {
    synchronized (lock) {
      ArrayDeque<Rule> q = faults.get(operation);
      if (q == null) {
        return 0;
      }
      long n = 0;
      for (Rule r : q) {
        n += r.remaining;
      }
      return (int) Math.min(Integer.MAX_VALUE, n);
    }
  }

  // ------------------------------------------------------------------ for fakes

  /**
   * Called by a fake before it handles one call: waits out the latency, then consumes and returns
   * the fault to apply, if any. A {@link Fault.Timeout} is returned only after the call was held
   * until {@link #clear()}, {@link #releaseAll()} or {@link #MAX_HOLD}; the fake then drops the
   * connection without an answer.
   */
  public Optional<Fault> beforeCall(String operation) {
    Duration delay;
    Fault fault;
    synchronized (lock) {
      delay = latencies.getOrDefault(operation, latencies.get(ANY_OPERATION));
      fault = take(operation);
      if (fault == null) {
        fault = take(ANY_OPERATION);
      }
    }
    if (delay != null && !delay.isZero()) {
      sleep(delay);
    }
    if (fault instanceof Fault.Timeout) {
      hold();
    }
    return Optional.ofNullable(fault);
  }

  /** Releases every held call and makes later timeouts return at once; fakes call it on close. */
  public void releaseAll() {
    synchronized (lock) {
      closed = true;
      generation++;
      lock.notifyAll();
    }
  }

  private Fault take(String operation) {
    ArrayDeque<Rule> q = faults.get(operation);
    if (q == null) {
      return null;
    }
    for (Iterator<Rule> it = q.iterator(); it.hasNext();) {
      Rule r = it.next();
      if (r.remaining > 0) {
        if (r.remaining != ALWAYS) {
          r.remaining--;
        }
        Fault f = r.fault;
        if (r.remaining == 0) {
          it.remove();
        }
        return f;
      }
      it.remove();
    }
    return null;
  }

  private void hold() {
    long deadline = System.nanoTime() + MAX_HOLD.toNanos();
    synchronized (lock) {
      long start = generation;
      try {
        while (!closed && generation == start) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            return;
          }
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis(), (int) (d.toNanos() % 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void checkOperation(String operation) {
    if (operation == null || operation.isEmpty()) {
      throw new IllegalArgumentException("operation must not be empty");
    }
  }

  @Override
  public String toString() {
    synchronized (lock) {
      List<String> parts = new ArrayList<>();
      faults.forEach((op, q) -> q.forEach(r -> parts.add(op + "=" + r.fault + "x"
          + (r.remaining == ALWAYS ? "always" : r.remaining))));
      latencies.forEach((op, d) -> parts.add(op + "+" + d.toMillis() + "ms"));
      return "FaultInjector" + parts;
    }
  }
}
