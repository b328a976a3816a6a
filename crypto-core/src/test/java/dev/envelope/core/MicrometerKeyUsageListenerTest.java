package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

class MicrometerKeyUsageListenerTest {
  @Test
  void onEvent_envelopeTraffic_countsKmsCallsAndCacheDecisions() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    EncryptionContext ctx = EncryptionContext.of("tenant", "secret-tenant-name");
    try (Envelope env = Envelope.builder().masterKeys(new CountingMasterKey("k"))
        .dataKeyCache(DataKeyCache.builder().build())
        .listener(MicrometerKeyUsageListener.create(registry)).build()) {
      for (int i = 0; i < 5; i++) {
        env.decrypt(env.encrypt(new byte[3], ctx), ctx);
      }
    }
    assertThat(registry.get("envelope.kms.calls").tag("operation", "generate_data_key").timer().count()).isEqualTo(1);
    assertThat(registry.get("envelope.kms.calls").tag("operation", "unwrap").timer().count()).isEqualTo(1);
    assertThat(registry.get("envelope.cache").tag("operation", "encrypt_cache_hit").counter().count()).isEqualTo(4);
    assertThat(registry.get("envelope.cache").tag("operation", "decrypt_cache_hit").counter().count()).isEqualTo(4);
    assertThat(registry.getMetersAsString()).doesNotContain("secret-tenant-name");
  }
}
