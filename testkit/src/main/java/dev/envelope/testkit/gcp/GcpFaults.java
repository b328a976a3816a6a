package dev.envelope.testkit.gcp;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import dev.envelope.testkit.CallCounter;
import dev.envelope.testkit.internal.Countdown;
import dev.envelope.testkit.internal.FakeSupport;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Fault injection and call counters for the Google Cloud fakes. Methods are named by their bare
 * gRPC method name ({@code "Encrypt"}, {@code "AccessSecretVersion"}), or {@code "*"} for every
 * method. Every call is counted when it arrives, including calls that then fail.
 *
 * <p>Thread-safe; settings apply to calls that arrive after they are made.
 */
public final class GcpFaults {
  /** Matches every method in {@link #failNext}, {@link #latency} and the checksum faults. */
  public static final String ANY = "*";

  private final CallCounter calls = new CallCounter();
  private final Map<String, Failure> failures = new ConcurrentHashMap<>();
  private final Map<String, Duration> latencies = new ConcurrentHashMap<>();
  private final Map<String, Countdown> corruptions = new ConcurrentHashMap<>();
  private final Map<String, Countdown> ignoredChecksums = new ConcurrentHashMap<>();

  GcpFaults() {}

  private record Failure(Status.Code code, Countdown remaining) {}

  /**
   * The next {@code times} calls of {@code method} fail with {@code code} (e.g. UNAVAILABLE,
   * RESOURCE_EXHAUSTED) before reaching the service. Replaces an earlier setting for the method.
   */
  public void failNext(String method, Status.Code code, int times) {
    Objects.requireNonNull(method, "method");
    Objects.requireNonNull(code, "code");
    if (code == Status.Code.OK || times < 0) {
      throw new IllegalArgumentException("need a non-OK code and times >= 0");
    }
    failures.put(method, new Failure(code, new Countdown(times)));
  }

  /** Every call of {@code method} fails with {@code code} until {@link #reset()}. */
  public void failAlways(String method, Status.Code code) {
    failNext(method, code, Integer.MAX_VALUE);
  }

  /** Delays every call of {@code method} by {@code delay} before it is handled. */
  public void latency(String method, Duration delay) {
    Objects.requireNonNull(method, "method");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative");
    }
    latencies.put(method, delay);
  }

  /**
   * The next {@code times} successful responses of {@code method} carry a wrong CRC32C: Encrypt's
   * {@code ciphertext_crc32c}, Decrypt's {@code plaintext_crc32c}, AccessSecretVersion's
   * {@code payload.data_crc32c}. The data itself is intact, so only a client that checks notices.
   */
  public void corruptChecksums(String method, int times) {
    counter(corruptions, method, times);
  }

  /**
   * The next {@code times} calls of {@code method} behave as if the request's CRC32C fields were
   * lost on the way: they are neither checked nor reported as verified
   * ({@code verified_*_crc32c = false}).
   */
  public void dropRequestChecksums(String method, int times) {
    counter(ignoredChecksums, method, times);
  }

  private static void counter(Map<String, Countdown> map, String method, int times) {
    Objects.requireNonNull(method, "method");
    if (times < 0) {
      throw new IllegalArgumentException("times must be >= 0");
    }
    map.put(method, new Countdown(times));
  }

  /** Calls of {@code method} received since start or the last {@link #reset()}. */
  public long calls(String method) {
    if (ANY.equals(method)) {
      return calls.total();
    }
    return calls.count(method);
  }

  /** Every method called so far with its count, sorted by name. */
  public Map<String, Long> calls() {
    return calls.snapshot();
  }

  /** Clears every fault and every counter. */
  public void reset() {
    calls.reset();
    failures.clear();
    latencies.clear();
    corruptions.clear();
    ignoredChecksums.clear();
  }

  boolean takeCorruption(String method) {
    return take(corruptions, method);
  }

  boolean takeDroppedChecksums(String method) {
    return take(ignoredChecksums, method);
  }

  private static boolean take(Map<String, Countdown> map, String method) {
    return take(map.get(method)) || take(map.get(ANY));
  }

  private static boolean take(Countdown remaining) {
    return remaining != null && remaining.take();
  }

  private Status.Code takeFailure(String method) {
    for (String key : new String[] {method, ANY}) {
      Failure f = failures.get(key);
      if (f != null && f.remaining().take()) {
        return f.code();
      }
    }
    return null;
  }

  private Duration latencyOf(String method) {
    Duration d = latencies.get(method);
    return d != null ? d : latencies.getOrDefault(ANY, Duration.ZERO);
  }

  ServerInterceptor interceptor() {
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getBareMethodName();
        calls.record(method);
        FakeSupport.pause(latencyOf(method));
        Status.Code code = takeFailure(method);
        if (code != null) {
          call.close(Status.fromCode(code).withDescription("injected by the fake"), new Metadata());
          return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
      }
    };
  }
}
