package dev.envelope.core;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

/**
 * Turns {@link KeyUsageEvent}s into Micrometer meters: {@code envelope.kms.calls} (timer, tags
 * operation, provider, outcome) for master-key calls and {@code envelope.cache} (counter, tags
 * operation) for cache decisions. Tags carry no key ids' secrets and no context values.
 *
 * <p>Micrometer is an optional dependency: add {@code io.micrometer:micrometer-core} to use this.
 */
public final class MicrometerKeyUsageListener implements KeyUsageListener {
  private final MeterRegistry registry;

  private MicrometerKeyUsageListener(MeterRegistry registry) {
    this.registry = registry;
  }

  public static MicrometerKeyUsageListener create(MeterRegistry registry) {
    return new MicrometerKeyUsageListener(java.util.Objects.requireNonNull(registry, "registry"));
  }

  @Override
  public void onEvent(KeyUsageEvent event) {
    switch (event.operation()) {
      case GENERATE_DATA_KEY, WRAP, UNWRAP, REWRAP -> Timer.builder("envelope.kms.calls")
          .description("Master-key calls")
          .tag("operation", event.operation().name().toLowerCase(java.util.Locale.ROOT))
          .tag("provider", event.key() == null ? "none" : event.key().provider())
          .tag("outcome", event.outcome().name().toLowerCase(java.util.Locale.ROOT))
          .register(registry)
          .record(event.duration());
      default -> Counter.builder("envelope.cache")
          .description("Data-key cache decisions")
          .tag("operation", event.operation().name().toLowerCase(java.util.Locale.ROOT))
          .register(registry)
          .increment();
    }
  }
}
