package dev.envelope.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.DataKeyCache;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import dev.envelope.testkit.gcp.GcpFakes;
import dev.envelope.testkit.gcp.GcpFaults;
import io.grpc.Status;
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
 * Cloud KMS going wrong under a running application: a long throttling burst, sustained
 * throttling, a permanent internal error, and the service vanishing in the middle of a loop of
 * encryptions and decryptions behind a warm {@link DataKeyCache}. Every failure must be a typed
 * {@link KmsException} within the caller's deadline; nothing may hang. Short bursts, permanent
 * UNAVAILABLE, slowness, disabled versions and denials are {@link GcpKmsMasterKeyTest}'s.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class GcpKmsFaultsTest {
  private static final String KEY = "projects/envelope-test/locations/europe-west1/keyRings/app/cryptoKeys/faults";
  /** A context value that cannot occur in an endpoint, key id or error code, so the message check means something. */
  private static final EncryptionContext CTX = EncryptionContext.of("customer", "zebra-quartz");
  private static final byte[] PLAINTEXT = "a record".getBytes(StandardCharsets.UTF_8);
  private static final Duration DEADLINE = Duration.ofSeconds(1);
  /** Scheduling on a busy 2-core machine; a hang would overshoot by far more. */
  private static final Duration SLACK = Duration.ofSeconds(1);
  private static final int CACHE_MESSAGES = 10;

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

  private static void assertRetryableWithin(Duration deadline, ThrowingCallable call) {
    long start = System.nanoTime();
    assertThatThrownBy(call).isInstanceOfSatisfying(KmsException.class, e -> {
      assertThat(e.isRetryable()).as("retryable").isTrue();
      assertThat(e.getMessage()).doesNotContain("zebra", "quartz");
    });
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(deadline.plus(SLACK));
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

  /** How the service disappears. */
  enum Vanish {
    /** The gRPC server shuts down: connections are refused. */
    SERVER_STOPPED,
    /** Every call fails with UNAVAILABLE. */
    EVERY_CALL_FAILS,
    /** Every call is answered long after the deadline. */
    EVERY_CALL_HANGS
  }

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
    GcpKmsMasterKey key = key(DEADLINE);
    DataKeyCache cache = DataKeyCache.builder().maxMessagesPerKey(CACHE_MESSAGES).build();
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build();
        Envelope uncached = Envelope.builder().masterKeys(key).build()) {
      List<byte[]> sent = new ArrayList<>();
      sent.add(env.encrypt(PLAINTEXT, CTX));
      assertThat(env.decrypt(sent.get(0), CTX)).isEqualTo(PLAINTEXT);
      byte[] neverCached = uncached.encrypt(PLAINTEXT, CTX);
      long callsBefore = fakes.faults().calls(GcpFaults.ANY);

      vanish(how);
      for (int i = 2; i <= CACHE_MESSAGES; i++) {
        sent.add(env.encrypt(PLAINTEXT, CTX));
        for (byte[] ct : sent) {
          assertThat(env.decrypt(ct, CTX)).isEqualTo(PLAINTEXT);
        }
      }
      assertThat(fakes.faults().calls(GcpFaults.ANY)).as("no KMS call while the cache served").isEqualTo(callsBefore);

      // Message 11 needs a new data key: exactly here the outage shows.
      assertRetryableWithin(DEADLINE, () -> env.encrypt(PLAINTEXT, CTX));
      assertRetryableWithin(DEADLINE, () -> env.decrypt(neverCached, CTX));
      for (byte[] ct : sent) {
        assertThat(env.decrypt(ct, CTX)).as("cached data key still decrypts").isEqualTo(PLAINTEXT);
      }
    }
  }
}
