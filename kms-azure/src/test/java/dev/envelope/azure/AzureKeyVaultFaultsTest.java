package dev.envelope.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.DataKeyCache;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.KmsException;
import dev.envelope.core.WrappedKey;
import dev.envelope.testkit.azure.AzureFaults;
import dev.envelope.testkit.azure.AzureKeyVaultFake;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
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
  /** A context value that cannot occur in an endpoint, key id or error code, so the message check means something. */
  private static final EncryptionContext CTX = EncryptionContext.of("customer", "zebra-quartz");
  private static final byte[] PLAINTEXT = "a record".getBytes(StandardCharsets.UTF_8);
  private static final Duration DEADLINE = Duration.ofSeconds(1);
  /** Scheduling on a busy 2-core machine; a hang would overshoot by far more. */
  private static final Duration SLACK = Duration.ofSeconds(1);
  private static final int CACHE_MESSAGES = 10;

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

  private static void assertRetryableWithin(Duration deadline, ThrowingCallable call) {
    long start = System.nanoTime();
    assertThatThrownBy(call).isInstanceOfSatisfying(KmsException.class, e -> {
      assertThat(e.isRetryable()).as("retryable").isTrue();
      assertThat(e.getMessage()).doesNotContain("zebra", "quartz");
    });
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(deadline.plus(SLACK));
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

  /** How the vault disappears. */
  enum Vanish {
    /** The HTTPS server stops: connections are refused. */
    SERVER_STOPPED,
    /** Every request fails with 503. */
    EVERY_CALL_FAILS,
    /** Every request is answered long after the deadline. */
    EVERY_CALL_HANGS
  }

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
    AzureKeyVaultMasterKey key = key().deadline(DEADLINE).build();
    DataKeyCache cache = DataKeyCache.builder().maxMessagesPerKey(CACHE_MESSAGES).build();
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build();
        Envelope uncached = Envelope.builder().masterKeys(key).build()) {
      List<byte[]> sent = new ArrayList<>();
      sent.add(env.encrypt(PLAINTEXT, CTX));
      assertThat(env.decrypt(sent.get(0), CTX)).isEqualTo(PLAINTEXT);
      byte[] neverCached = uncached.encrypt(PLAINTEXT, CTX);
      long callsBefore = fake.faults().calls(AzureFaults.ANY);

      vanish(how);
      for (int i = 2; i <= CACHE_MESSAGES; i++) {
        sent.add(env.encrypt(PLAINTEXT, CTX));
        for (byte[] ct : sent) {
          assertThat(env.decrypt(ct, CTX)).isEqualTo(PLAINTEXT);
        }
      }
      assertThat(fake.faults().calls(AzureFaults.ANY)).as("no vault call while the cache served").isEqualTo(callsBefore);

      // Message 11 needs a new data key: exactly here the outage shows.
      assertRetryableWithin(DEADLINE, () -> env.encrypt(PLAINTEXT, CTX));
      assertRetryableWithin(DEADLINE, () -> env.decrypt(neverCached, CTX));
      for (byte[] ct : sent) {
        assertThat(env.decrypt(ct, CTX)).as("cached data key still decrypts").isEqualTo(PLAINTEXT);
      }
    }
  }
}
