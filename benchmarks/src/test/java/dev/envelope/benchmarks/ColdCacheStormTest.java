package dev.envelope.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The storm's claim is checked by code: exactly one master-key call per 64-thread cold storm. */
class ColdCacheStormTest {
  private static final Duration KMS_LATENCY = Duration.ofMillis(20);

  @Test
  void envelopeStorms_64ThreadsColdCache_exactlyOneMasterKeyCallEach() throws Exception {
    try (ColdCacheStorm storm = new ColdCacheStorm(64)) {
      ColdCacheStorm.Result enc = storm.envelopeEncrypt(KMS_LATENCY, 3);
      ColdCacheStorm.Result dec = storm.envelopeDecrypt(KMS_LATENCY, 3);
      ColdCacheStorm.Result fieldEnc = storm.fieldEncrypt(KMS_LATENCY, 3);
      ColdCacheStorm.Result fieldDec = storm.fieldDecrypt(KMS_LATENCY, 3);
      for (ColdCacheStorm.Result r : new ColdCacheStorm.Result[] {enc, dec, fieldEnc, fieldDec}) {
        assertThat(r.callsPerRound()).containsOnly(1).hasSize(3);
        assertThat(r.latencies()).hasSize(64 * 3).doesNotContain(0L);
      }
    }
  }

  @Test
  void esdkStorm_64ThreadsColdCache_countsItsMasterKeyCalls() throws Exception {
    try (ColdCacheStorm storm = new ColdCacheStorm(64)) {
      ColdCacheStorm.Result esdk = storm.esdkEncrypt(KMS_LATENCY, 1);
      // The ESDK cache has no single-flight; how many threads miss together depends on scheduling.
      assertThat(esdk.callsPerRound()[0]).isBetween(1, 64);
      assertThat(esdk.latencies()).hasSize(64).doesNotContain(0L);
    }
  }

  @Test
  void percentile_nearestRank_picksTheRankedSample() {
    long[] l = new long[100];
    for (int i = 0; i < 100; i++) {
      l[i] = 100 - i;
    }
    ColdCacheStorm.Result r = new ColdCacheStorm.Result("x", 100, 1, new int[] {1}, l);
    assertThat(r.percentileNanos(99)).isEqualTo(99);
    assertThat(r.percentileNanos(50)).isEqualTo(50);
    assertThat(r.percentileNanos(100)).isEqualTo(100);
  }
}
