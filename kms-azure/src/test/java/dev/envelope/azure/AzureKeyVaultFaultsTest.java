package dev.envelope.azure;

import static dev.envelope.core.testing.KmsOutageScenarios.CTX;
import static dev.envelope.core.testing.KmsOutageScenarios.assertRetryableWithin;
import static org.assertj.core.api.Assertions.assertThat;

import dev.envelope.core.DataKeyCache;
import dev.envelope.core.KmsException;
import dev.envelope.core.WrappedKey;
import dev.envelope.core.testing.KmsOutageScenarios;
import dev.envelope.core.testing.KmsOutageScenarios.Vanish;
import dev.envelope.testkit.azure.AzureFaults;
import dev.envelope.testkit.azure.AzureKeyVaultFake;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Key Vault going wrong under a running application: a throttling burst, sustained throttling
 * bounded by the retry count or by the deadline, and the vault vanishing in the middle of a loop of
 * encryptions and decryptions behind a warm {@link DataKeyCache}. Every failure must be a typed
 * {@link KmsException} within the caller's deadline; nothing may hang. One throttle honouring
 * Retry-After, a Retry-After beyond the deadline, permanent 503, slowness and disabled versions are
 * {@link AzureKeyVaultMasterKeyTest}'s.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AzureKeyVaultFaultsTest {
  private static final Duration DEADLINE = Duration.ofSeconds(1);

  private AzureKeyVaultFake fake;

  /**
   * The first call in a JVM loads and initialises the Azure SDK, which can take seconds on a busy
   * machine: done here, with a generous deadline, so no test's short deadline measures it.
   */
  @BeforeAll
  static void warmUp() {
    try (AzureKeyVaultFake warm = AzureKeyVaultFake.start()) {
      warm.createKey("warm");
      AzureKeyVaultMasterKey key = FakeVault.key(warm, warm.keyId("warm")).deadline(Duration.ofSeconds(60)).build();
      key.unwrap(key.generateDataKey(CTX).wrapped(), CTX).close();
    }
  }

  @BeforeEach
  void start() {
    fake = AzureKeyVaultFake.start();
    fake.createKey("faults");
  }

  @AfterEach
  void stop() {
    fake.faults().reset();
    fake.close();
  }

  private AzureKeyVaultMasterKey.Builder key() {
    return FakeVault.key(fake, fake.keyId("faults"));
  }

  @Test
  void throttlingBurst_threeThrottles_recoveredWithinDeadline() {
    AzureKeyVaultMasterKey key = key().deadline(Duration.ofSeconds(3)).build();
    WrappedKey w = key.generateDataKey(CTX).wrapped();
    fake.faults().throttleNext(AzureFaults.UNWRAP_KEY, FakeVault.MAX_RETRIES, Duration.ZERO);
    long start = System.nanoTime();

    assertThat(key.unwrap(w, CTX).length()).isEqualTo(32);

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
    assertThat(fake.faults().calls(AzureFaults.UNWRAP_KEY)).isEqualTo(1 + FakeVault.MAX_RETRIES);
  }

  @Test
  void sustainedThrottling_shortRetryAfter_retriesRunOut_retryableKmsException() {
    AzureKeyVaultMasterKey key = key().deadline(Duration.ofSeconds(3)).build();
    key.generateDataKey(CTX).close(); // connection and current version in place
    fake.faults().reset();
    fake.faults().throttleAlways(AzureFaults.WRAP_KEY, Duration.ZERO);

    assertRetryableWithin(Duration.ofSeconds(3), () -> key.generateDataKey(CTX));

    assertThat(fake.faults().calls(AzureFaults.WRAP_KEY)).isEqualTo(1 + FakeVault.MAX_RETRIES);
  }

  @Test
  void sustainedThrottling_retryAfterWithinDeadline_deadlineEndsIt_retryableKmsException() {
    Duration deadline = Duration.ofMillis(2500);
    AzureKeyVaultMasterKey key = key().deadline(deadline).maxRetries(10).build();
    WrappedKey w = key.generateDataKey(CTX).wrapped();
    fake.faults().throttleAlways(AzureFaults.UNWRAP_KEY, Duration.ofSeconds(1));

    assertRetryableWithin(deadline, () -> key.unwrap(w, CTX));

    // Each retry waited out the one-second Retry-After: two or three calls fit, not eleven.
    assertThat(fake.faults().calls(AzureFaults.UNWRAP_KEY)).isBetween(2L, 3L);
  }

  /** SERVER_STOPPED: the HTTPS server stops. EVERY_CALL_FAILS: 503. EVERY_CALL_HANGS: answered long after the deadline. */
  private void vanish(Vanish how) {
    switch (how) {
      case SERVER_STOPPED -> fake.close();
      case EVERY_CALL_FAILS -> fake.faults().failAlways(AzureFaults.ANY, 503, "ServiceUnavailable");
      case EVERY_CALL_HANGS -> fake.faults().latency(AzureFaults.ANY, Duration.ofSeconds(3));
    }
  }

  @ParameterizedTest
  @EnumSource(Vanish.class)
  void vaultVanishesMidRun_warmCacheServesUntilItsLimit_thenTypedFailures(Vanish how) {
    KmsOutageScenarios.vanishesMidRun_warmCacheServesUntilItsLimit_thenTypedFailures(key().deadline(DEADLINE).build(),
        () -> vanish(how), () -> fake.faults().calls(AzureFaults.ANY), DEADLINE);
  }
}
