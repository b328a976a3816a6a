package dev.envelope.testkit.azure;

import dev.envelope.testkit.CallCounter;
import dev.envelope.testkit.internal.Countdown;
import dev.envelope.testkit.internal.FakeSupport;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Fault injection and call counters for {@link AzureKeyVaultFake}. Operations are named by the
 * constants below (the REST operation each Key Vault route implements), or {@link #ANY}.
 *
 * <p>Counters count every authenticated request when it arrives, including those that then fail;
 * the unauthenticated first request of the bearer challenge is counted apart, in
 * {@link #challenges()}. Injected faults answer with Key Vault's real error body
 * ({@code {"error":{"code":…,"message":…}}}) before the request reaches the vault.
 *
 * <p>Thread-safe; settings apply to requests that arrive after they are made.
 */
public final class AzureFaults {
  /** Matches every operation in the fault settings and in {@link #calls(String)}. */
  public static final String ANY = "*";

  public static final String CREATE_KEY = "createKey";
  public static final String GET_KEY = "getKey";
  public static final String ROTATE_KEY = "rotateKey";
  public static final String UPDATE_KEY = "updateKey";
  public static final String LIST_KEYS = "listKeys";
  public static final String LIST_KEY_VERSIONS = "listKeyVersions";
  public static final String WRAP_KEY = "wrapKey";
  public static final String UNWRAP_KEY = "unwrapKey";
  public static final String ENCRYPT = "encrypt";
  public static final String DECRYPT = "decrypt";
  public static final String SET_SECRET = "setSecret";
  public static final String GET_SECRET = "getSecret";
  public static final String UPDATE_SECRET = "updateSecret";
  public static final String LIST_SECRETS = "listSecrets";
  public static final String LIST_SECRET_VERSIONS = "listSecretVersions";

  /** Every operation the fake serves. */
  public static final Set<String> OPERATIONS = Set.of(CREATE_KEY, GET_KEY, ROTATE_KEY, UPDATE_KEY, LIST_KEYS,
      LIST_KEY_VERSIONS, WRAP_KEY, UNWRAP_KEY, ENCRYPT, DECRYPT, SET_SECRET, GET_SECRET, UPDATE_SECRET,
      LIST_SECRETS, LIST_SECRET_VERSIONS);

  private final CallCounter calls = new CallCounter();
  private final LongAdder challenges = new LongAdder();
  private final Map<String, Failure> failures = new ConcurrentHashMap<>();
  private final Set<String> denied = ConcurrentHashMap.newKeySet();
  private final Map<String, Duration> latencies = new ConcurrentHashMap<>();

  AzureFaults() {}

  private record Failure(VaultError error, Countdown remaining) {}

  /**
   * The next {@code times} requests of {@code operation} are answered {@code 429 Throttled} with
   * {@code Retry-After} set to {@code retryAfter} in whole seconds (rounded up), as Key Vault does
   * when a vault exceeds its service limits. Replaces an earlier failure setting for the operation.
   */
  public void throttleNext(String operation, int times, Duration retryAfter) {
    Objects.requireNonNull(retryAfter, "retryAfter");
    if (retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter must not be negative");
    }
    long seconds = retryAfter.getSeconds() + (retryAfter.getNano() > 0 ? 1 : 0);
    put(operation, times, VaultError.throttled(seconds));
  }

  /** Every request of {@code operation} is throttled until {@link #reset()}. */
  public void throttleAlways(String operation, Duration retryAfter) {
    throttleNext(operation, Integer.MAX_VALUE, retryAfter);
  }

  /**
   * The next {@code times} requests of {@code operation} fail with HTTP {@code status} and error
   * code {@code code} (e.g. 503 {@code "ServiceUnavailable"}, 500 {@code "InternalServerError"}).
   * Replaces an earlier failure setting for the operation.
   */
  public void failNext(String operation, int status, String code, int times) {
    Objects.requireNonNull(code, "code");
    if (status < 400 || status > 599) {
      throw new IllegalArgumentException("status must be an HTTP error status (4xx or 5xx)");
    }
    put(operation, times, new VaultError(status, code, "Injected by the Azure Key Vault fake.", null, -1));
  }

  /** Every request of {@code operation} fails with {@code status}/{@code code} until {@link #reset()}. */
  public void failAlways(String operation, int status, String code) {
    failNext(operation, status, code, Integer.MAX_VALUE);
  }

  /**
   * Requests of {@code operation} are refused as Azure RBAC refuses a caller without the data
   * action ({@code 403 Forbidden}, inner code {@code ForbiddenByRbac}) until {@link #reset()}.
   */
  public void denyAccess(String operation) {
    denied.add(checkOperation(operation));
  }

  /** Delays every request of {@code operation} by {@code delay} before it is handled. */
  public void latency(String operation, Duration delay) {
    Objects.requireNonNull(delay, "delay");
    if (delay.isNegative()) {
      throw new IllegalArgumentException("delay must not be negative");
    }
    latencies.put(checkOperation(operation), delay);
  }

  private void put(String operation, int times, VaultError error) {
    if (times < 0) {
      throw new IllegalArgumentException("times must be >= 0");
    }
    failures.put(checkOperation(operation), new Failure(error, new Countdown(times)));
  }

  private static String checkOperation(String operation) {
    Objects.requireNonNull(operation, "operation");
    if (!ANY.equals(operation) && !OPERATIONS.contains(operation)) {
      throw new IllegalArgumentException("unknown operation '" + operation + "', expected one of " + new TreeSet<>(OPERATIONS));
    }
    return operation;
  }

  /** Authenticated requests of {@code operation} (or of all, for {@link #ANY}) since start or {@link #reset()}. */
  public long calls(String operation) {
    if (ANY.equals(operation)) {
      return calls.total();
    }
    return calls.count(checkOperation(operation));
  }

  /** Every operation called so far with its count, sorted by name. */
  public Map<String, Long> calls() {
    return calls.snapshot();
  }

  /** Requests answered with the bearer challenge (401) because they carried no token. */
  public long challenges() {
    return challenges.sum();
  }

  /** Clears every fault and every counter. */
  public void reset() {
    calls.reset();
    challenges.reset();
    failures.clear();
    denied.clear();
    latencies.clear();
  }

  void countChallenge() {
    challenges.increment();
  }

  /** Counts the request, applies latency, and returns the fault to answer with, if any. */
  VaultError arrive(String operation) {
    calls.record(operation);
    FakeSupport.pause(latencies.getOrDefault(operation, latencies.getOrDefault(ANY, Duration.ZERO)));
    if (denied.contains(operation) || denied.contains(ANY)) {
      return VaultError.forbiddenByRbac(operation);
    }
    for (String key : new String[] {operation, ANY}) {
      Failure f = failures.get(key);
      if (f != null && f.remaining().take()) {
        return f.error();
      }
    }
    return null;
  }
}
