package dev.envelope.core;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * One master-key call or cache decision. Carries no key bytes and no plaintext; context values
 * only when the listener asked for them ({@link KeyUsageListener#includeContextValues()}).
 *
 * @param operation what happened
 * @param key the master key involved, or null for a cache decision not tied to one key
 * @param contextKeys the encryption context's keys
 * @param contextValues the full context when opted in, else empty
 * @param outcome success or failure
 * @param errorType the exception's simple class name on failure, else null
 * @param duration time spent in the call (zero for cache decisions)
 */
public record KeyUsageEvent(
    Operation operation,
    KeyRef key,
    Set<String> contextKeys,
    Map<String, String> contextValues,
    Outcome outcome,
    String errorType,
    Duration duration) {

  public KeyUsageEvent {
    Objects.requireNonNull(operation, "operation");
    Objects.requireNonNull(outcome, "outcome");
    contextKeys = Set.copyOf(contextKeys);
    contextValues = Map.copyOf(contextValues);
    Objects.requireNonNull(duration, "duration");
  }

  public enum Operation {
    GENERATE_DATA_KEY,
    WRAP,
    UNWRAP,
    REWRAP,
    ENCRYPT_CACHE_HIT,
    ENCRYPT_CACHE_MISS,
    DECRYPT_CACHE_HIT,
    DECRYPT_CACHE_MISS,
    CACHE_EVICTION
  }

  public enum Outcome {
    SUCCESS,
    FAILURE
  }

  /** Context values are shown only as their count, even when present. */
  @Override
  public String toString() {
    return "KeyUsageEvent[" + operation + " " + (key == null ? "-" : key) + " context" + contextKeys
        + " " + outcome + (errorType == null ? "" : " " + errorType) + " " + duration.toNanos() / 1000 + "us]";
  }
}
