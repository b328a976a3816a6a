package dev.envelope.gcp;

import static dev.envelope.core.testing.KmsOutageScenarios.CTX;
import static dev.envelope.core.testing.KmsOutageScenarios.assertRetryableWithin;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.DataKeyCache;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import dev.envelope.core.testing.KmsOutageScenarios;
import dev.envelope.core.testing.KmsOutageScenarios.Vanish;
import dev.envelope.testkit.gcp.GcpFakes;
import dev.envelope.testkit.gcp.GcpFaults;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Cloud KMS going wrong under a running application: a long throttling burst, sustained
 * throttling, a permanent internal error, and the service vanishing in the middle of a loop of
 * encryptions and decryptions behind a warm {@link DataKeyCache}. Every failure must be a typed
 * {@link KmsException} within the caller's deadline; nothing may hang. Short bursts, permanent
 * UNAVAILABLE, slowness, disabled versions and denials are {@link GcpKmsMasterKeyTest}'s.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GcpKmsFaultsTest {
  private static final String KEY = "projects/envelope-test/locations/europe-west1/keyRings/app/cryptoKeys/faults";
  private static final Duration DEADLINE = Duration.ofSeconds(1);

  private GcpFakes fakes;

  /**
   * The first call in a JVM loads and initialises gRPC and the Google client, which can take
   * seconds on a busy machine: done here, with a generous deadline, so no test's short deadline
   * measures it.
   */
  @BeforeAll
  static void warmUp() {
    try (GcpFakes warm = GcpFakes.start()) {
      warm.kms().createKey(KEY);
      try (GcpKmsMasterKey key = GcpKmsMasterKey.builder().keyName(KEY).endpoint(warm.endpoint())
          .deadline(Duration.ofSeconds(60)).build()) {
        key.unwrap(key.generateDataKey(CTX).wrapped(), CTX).close();
      }
    }
  }
  private final List<GcpKmsMasterKey> keys = new ArrayList<>();

  @BeforeEach
  void start() {
    fakes = GcpFakes.start();
    fakes.kms().createKey(KEY);
  }

  @AfterEach
  void stop() {
    fakes.faults().reset();
    keys.forEach(GcpKmsMasterKey::close);
    fakes.close();
  }

  private GcpKmsMasterKey key(Duration deadline) {
    GcpKmsMasterKey key = GcpKmsMasterKey.builder().keyName(KEY).endpoint(fakes.endpoint()).deadline(deadline).build();
    keys.add(key);
    return key;
  }

  @Test
  void throttlingBurst_fourResourceExhausted_recoveredWithinDeadline() {
    GcpKmsMasterKey key = key(Duration.ofSeconds(3));
    WrappedKey w = key.wrap(SecretBytes.copyOf(new byte[32]), CTX);
    fakes.faults().failNext("Decrypt", Status.Code.RESOURCE_EXHAUSTED, 4);
    long start = System.nanoTime();

    assertThat(key.unwrap(w, CTX).length()).isEqualTo(32);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(fakes.faults().calls("Decrypt")).isEqualTo(5);
  }

  @Test
  void sustainedThrottling_retryableKmsExceptionWithinDeadline() {
    GcpKmsMasterKey key = key(DEADLINE);
    WrappedKey w = key.wrap(SecretBytes.copyOf(new byte[32]), CTX);
    fakes.faults().failAlways(GcpFaults.ANY, Status.Code.RESOURCE_EXHAUSTED);

    assertRetryableWithin(DEADLINE, () -> key.unwrap(w, CTX));
    assertRetryableWithin(DEADLINE, () -> key.generateDataKey(CTX));

    // Retried with backoff: more than once, far fewer than a tight loop would make.
    assertThat(fakes.faults().calls("Decrypt")).isBetween(2L, 20L);
    assertThat(fakes.faults().calls("Encrypt")).isBetween(3L, 21L);
  }

  @Test
  void permanentInternalError_retryableKmsExceptionAtOnce() {
    GcpKmsMasterKey key = key(DEADLINE);
    fakes.faults().failAlways("Encrypt", Status.Code.INTERNAL);

    assertThatThrownBy(() -> key.wrap(SecretBytes.copyOf(new byte[32]), CTX)).isInstanceOfSatisfying(KmsException.class,
        e -> assertThat(e.isRetryable()).isTrue()).hasMessageContaining("INTERNAL");

    // INTERNAL is not one of the codes the client retries: the caller decides.
    assertThat(fakes.faults().calls("Encrypt")).isEqualTo(1);
  }

  /** SERVER_STOPPED: the gRPC server shuts down. EVERY_CALL_FAILS: UNAVAILABLE. EVERY_CALL_HANGS: answered long after the deadline. */
  private void vanish(Vanish how) {
    switch (how) {
      case SERVER_STOPPED -> fakes.close();
      case EVERY_CALL_FAILS -> fakes.faults().failAlways(GcpFaults.ANY, Status.Code.UNAVAILABLE);
      case EVERY_CALL_HANGS -> fakes.faults().latency(GcpFaults.ANY, Duration.ofSeconds(3));
    }
  }

  @ParameterizedTest
  @EnumSource(Vanish.class)
  void kmsVanishesMidRun_warmCacheServesUntilItsLimit_thenTypedFailures(Vanish how) {
    KmsOutageScenarios.vanishesMidRun_warmCacheServesUntilItsLimit_thenTypedFailures(key(DEADLINE), () -> vanish(how),
        () -> fakes.faults().calls(GcpFaults.ANY), DEADLINE);
  }
}
