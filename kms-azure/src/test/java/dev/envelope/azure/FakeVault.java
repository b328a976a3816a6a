package dev.envelope.azure;

import dev.envelope.core.Ticker;
import dev.envelope.testkit.azure.AzureKeyVaultFake;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/** Master keys on a running fake, with short retries so fault tests stay fast. */
final class FakeVault {
  static final int MAX_RETRIES = 3;

  private FakeVault() {}

  static AzureKeyVaultMasterKey.Builder key(AzureKeyVaultFake fake, String keyId) {
    return AzureKeyVaultMasterKey.builder()
        .keyId(keyId)
        .sslContext(fake.sslContext())
        .deadline(Duration.ofSeconds(5))
        .maxRetries(MAX_RETRIES)
        .retryBackoff(Duration.ofMillis(5), Duration.ofMillis(50));
  }

  /** A ticker the test moves by hand. */
  static final class ManualTicker implements Ticker {
    private final AtomicLong nanos = new AtomicLong();

    @Override
    public long read() {
      return nanos.get();
    }

    void advance(Duration d) {
      nanos.addAndGet(d.toNanos());
    }
  }
}
