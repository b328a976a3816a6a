package dev.envelope.core;

import java.time.Duration;
import java.util.Map;

/**
 * Receives every master-key call and cache decision, for audit logs and metrics. Called on the
 * thread that did the work; must be fast and must not throw (exceptions are swallowed).
 */
@FunctionalInterface
public interface KeyUsageListener {
  void onEvent(KeyUsageEvent event);

  /** Opt in to receiving context values; by default events carry context keys only. */
  default boolean includeContextValues() {
    return false;
  }

  static KeyUsageListener noop() {
    return Noop.INSTANCE;
  }

  /** Builds and delivers an event, honouring the opt-in; never throws. */
  static void emit(KeyUsageListener listener, KeyUsageEvent.Operation op, KeyRef key,
      EncryptionContext context, Throwable failure, long nanos) {
    if (listener == Noop.INSTANCE) {
      return;
    }
    try {
      listener.onEvent(new KeyUsageEvent(op, key, context.keys(),
          listener.includeContextValues() ? context.asMap() : Map.of(),
          failure == null ? KeyUsageEvent.Outcome.SUCCESS : KeyUsageEvent.Outcome.FAILURE,
          failure == null ? null : failure.getClass().getSimpleName(), Duration.ofNanos(Math.max(0, nanos))));
    } catch (RuntimeException ignored) {
      // A listener must never break encryption.
    }
  }
}

enum Noop implements KeyUsageListener {
  INSTANCE;

  @Override
  public void onEvent(KeyUsageEvent event) {}
}
