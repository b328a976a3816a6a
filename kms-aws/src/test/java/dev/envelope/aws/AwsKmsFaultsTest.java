package dev.envelope.aws;

import static dev.envelope.core.testing.KmsOutageScenarios.CTX;
import static dev.envelope.core.testing.KmsOutageScenarios.assertRetryableWithin;
import static org.assertj.core.api.Assertions.assertThat;

import dev.envelope.core.DataKeyCache;
import dev.envelope.core.Envelope;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import dev.envelope.core.testing.KmsOutageScenarios;
import dev.envelope.core.testing.KmsOutageScenarios.Vanish;
import dev.envelope.testkit.FaultInjector;
import dev.envelope.testkit.aws.AwsFake;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * AWS KMS going wrong under a running application: throttling bursts and storms, answers slower
 * than the deadline, and the service vanishing in the middle of a loop of encryptions and
 * decryptions behind a warm {@link DataKeyCache}. Every failure must be a typed
 * {@link KmsException} within the caller's deadline; nothing may hang (the class timeout is the
 * backstop). Single faults already covered by {@link AwsKmsMasterKeyFakeTest} (two throttles on
 * GenerateDataKey, permanent and slow 5xx, unanswered calls, error-code mapping) and the contract
 * (disabled key) are not repeated here.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AwsKmsFaultsTest {
  private static final String REGION = "us-east-1";
  private static final StaticCredentialsProvider CREDENTIALS =
      StaticCredentialsProvider.create(AwsBasicCredentials.create(AwsFake.ACCESS_KEY_ID, AwsFake.SECRET_ACCESS_KEY));
  private static final byte[] PLAINTEXT = "a record".getBytes(StandardCharsets.UTF_8);
  private static final Duration DEADLINE = Duration.ofSeconds(1);

  /**
   * The first call in a JVM loads and initialises the AWS SDK, which can take more than a second
   * on a busy machine: done here, with a generous deadline, so no test's short deadline measures it.
   */
  @BeforeAll
  static void warmUp() {
    try (AwsFake warm = AwsFake.start();
        AwsKmsMasterKey key = AwsKmsMasterKey.builder().keyId(warm.createKey(REGION)).endpoint(warm.endpoint())
            .credentialsProvider(CREDENTIALS).deadline(Duration.ofSeconds(60)).build()) {
      key.unwrap(key.generateDataKey(CTX).wrapped(), CTX).close();
    }
  }

  private final AwsFake fake = AwsFake.builder().region(REGION).start();
  private final String arn = fake.createKey(REGION);
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private boolean fakeStopped;

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    if (!fakeStopped) {
      fake.close();
    }
  }

  private AwsKmsMasterKey key(int maxAttempts, Duration attemptTimeout, Duration deadline) {
    AwsKmsMasterKey key = AwsKmsMasterKey.builder().keyId(arn).endpoint(fake.endpoint()).credentialsProvider(CREDENTIALS)
        .maxAttempts(maxAttempts).attemptTimeout(attemptTimeout).deadline(deadline).build();
    closeables.add(key);
    return key;
  }

  /** Short deadlines: a fault costs at most one second. */
  private AwsKmsMasterKey quickKey() {
    return key(2, Duration.ofMillis(300), DEADLINE);
  }

  private static Duration timed(Runnable r) {
    long start = System.nanoTime();
    r.run();
    return Duration.ofNanos(System.nanoTime() - start);
  }

  @Test
  void throttlingBurst_decryptAndReEncrypt_recoveredByRetriesWithinDeadline() {
    AwsKmsMasterKey key = key(3, Duration.ofSeconds(1), Duration.ofSeconds(5));
    AwsKmsMasterKey other = key(3, Duration.ofSeconds(1), Duration.ofSeconds(5));
    WrappedKey w = key.generateDataKey(CTX).wrapped();
    fake.resetRequests();
    fake.faults().throttle("Decrypt", 2).throttle("ReEncrypt", 2);

    // The SDK's throttling backoff (full jitter, 1 s base) keeps two retries under 3 s.
    Duration unwrapTook = timed(() -> assertThat(key.unwrap(w, CTX).length()).isEqualTo(32));
    Duration rewrapTook = timed(() -> assertThat(key.rewrap(w, other, CTX).keyId()).isEqualTo(arn));

    assertThat(unwrapTook).isLessThan(Duration.ofSeconds(5));
    assertThat(rewrapTook).isLessThan(Duration.ofSeconds(5));
    assertThat(fake.calls().count("Decrypt")).isEqualTo(3);
    assertThat(fake.calls().failures("Decrypt")).isEqualTo(2);
    assertThat(fake.calls().count("ReEncrypt")).isEqualTo(3);
    assertThat(fake.calls().failures("ReEncrypt")).isEqualTo(2);
  }

  @Test
  void sustainedThrottling_retryableKmsExceptionWithinDeadline() {
    AwsKmsMasterKey key = key(10, Duration.ofMillis(500), DEADLINE);
    WrappedKey w = key.generateDataKey(CTX).wrapped();
    fake.resetRequests();
    fake.faults().throttle(FaultInjector.ANY_OPERATION, FaultInjector.ALWAYS);

    assertRetryableWithin(DEADLINE, () -> key.generateDataKey(CTX));
    assertRetryableWithin(DEADLINE, () -> key.unwrap(w, CTX));
    assertRetryableWithin(DEADLINE, () -> key.wrap(SecretBytes.wrap(new byte[32]), CTX));

    // Retried, but not in a tight loop: backoff spaces the attempts.
    assertThat(fake.calls().count("GenerateDataKey")).isBetween(1L, 6L);
    assertThat(fake.calls().failures("Decrypt")).isEqualTo(fake.calls().count("Decrypt"));
  }

  @Test
  void slowAnswers_beyondAttemptTimeout_envelopeDecryptFailsRetryableWithinDeadline() {
    byte[] ciphertext;
    try (Envelope env = Envelope.builder().masterKeys(quickKey()).build()) {
      ciphertext = env.encrypt(PLAINTEXT, CTX);
      fake.faults().latency("Decrypt", Duration.ofSeconds(3));

      assertRetryableWithin(DEADLINE, () -> env.decrypt(ciphertext, CTX));

      fake.faults().latency("Decrypt", Duration.ofMillis(50));
      assertThat(env.decrypt(ciphertext, CTX)).as("slow but within the attempt timeout").isEqualTo(PLAINTEXT);
    }
  }

  /** SERVER_STOPPED: the HTTP server stops. EVERY_CALL_FAILS: a 5xx. EVERY_CALL_HANGS: held without an answer. */
  private void vanish(Vanish how) {
    switch (how) {
      case SERVER_STOPPED -> {
        fake.close();
        fakeStopped = true;
      }
      case EVERY_CALL_FAILS -> fake.faults().serverError(FaultInjector.ANY_OPERATION, FaultInjector.ALWAYS);
      case EVERY_CALL_HANGS -> fake.faults().timeout(FaultInjector.ANY_OPERATION, FaultInjector.ALWAYS);
    }
  }

  @ParameterizedTest
  @EnumSource(Vanish.class)
  void kmsVanishesMidRun_warmCacheServesUntilItsLimit_thenTypedFailures(Vanish how) {
    try {
      // A stopped fake's count says nothing about calls the cache saved.
      KmsOutageScenarios.vanishesMidRun_warmCacheServesUntilItsLimit_thenTypedFailures(quickKey(), () -> vanish(how),
          how == Vanish.SERVER_STOPPED ? null : fake.calls()::total, DEADLINE);
    } finally {
      fake.faults().clear();
    }
  }

  @Test
  void kmsVanishes_cacheMaxAgeReached_encryptAndDecryptFailTyped() {
    AtomicLong now = new AtomicLong();
    Duration maxAge = Duration.ofMinutes(5);
    DataKeyCache cache = DataKeyCache.builder().maxAge(maxAge).ticker(now::get).build();
    try (Envelope env = Envelope.builder().masterKeys(quickKey()).dataKeyCache(cache).build()) {
      byte[] first = env.encrypt(PLAINTEXT, CTX);
      assertThat(env.decrypt(first, CTX)).isEqualTo(PLAINTEXT);
      vanish(Vanish.EVERY_CALL_FAILS);

      now.set(maxAge.toNanos() - 1);
      byte[] last = env.encrypt(PLAINTEXT, CTX);
      assertThat(env.decrypt(last, CTX)).isEqualTo(PLAINTEXT);

      now.set(maxAge.toNanos());
      assertRetryableWithin(DEADLINE, () -> env.encrypt(PLAINTEXT, CTX));
      assertRetryableWithin(DEADLINE, () -> env.decrypt(first, CTX));
    }
  }
}
