package dev.envelope.core.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.DataKeyCache;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.KmsException;
import dev.envelope.core.MasterKey;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;

/**
 * The outage scenarios every cloud master key must survive the same way, shared by the providers'
 * fault tests (kms-aws, kms-gcp, kms-azure) through crypto-core's test-jar. Each provider test
 * keeps its own fake, its own way of making the service vanish and its own test methods; only the
 * provider-neutral steps and assertions live here. A separate package, not {@code dev.envelope.core}:
 * the provider modules compile their tests against crypto-core as a named module, which would hide
 * a class-path class in a package that module already owns.
 */
public final class KmsOutageScenarios {
  /** A context value that cannot occur in an endpoint, key id or error code, so the message check means something. */
  public static final EncryptionContext CTX = EncryptionContext.of("customer", "zebra-quartz");
  /** Scheduling on a busy 2-core machine; a hang would overshoot by far more. */
  public static final Duration SLACK = Duration.ofSeconds(1);
  /** How many messages the warm cache may serve with one data key. */
  public static final int CACHE_MESSAGES = 10;

  private static final byte[] PLAINTEXT = "a record".getBytes(StandardCharsets.UTF_8);

  /** How the service disappears; each provider test maps these onto its fake. */
  public enum Vanish {
    /** The server stops: connections are refused. */
    SERVER_STOPPED,
    /** Every call fails with the service's "unavailable" answer. */
    EVERY_CALL_FAILS,
    /** Every call is held, or answered long after the deadline. */
    EVERY_CALL_HANGS
  }

  private KmsOutageScenarios() {}

  /** Asserts a retryable KmsException, free of the context's values, that arrived within {@code deadline} plus slack. */
  public static void assertRetryableWithin(Duration deadline, ThrowingCallable call) {
    long start = System.nanoTime();
    assertThatThrownBy(call).isInstanceOfSatisfying(KmsException.class, e -> {
      assertThat(e.isRetryable()).as("retryable").isTrue();
      assertThat(e.getMessage()).doesNotContain("zebra", "quartz");
    });
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(deadline.plus(SLACK));
  }

  /**
   * A warm {@link DataKeyCache} keeps encryption and decryption going after the service vanished
   * until the cached data key reaches its message limit; from then on, and for a data key the cache
   * never saw, every call fails typed and within {@code deadline}, while the cached key still decrypts.
   *
   * @param key a master key on the provider's fake whose deadline is {@code deadline}
   * @param vanish makes the service disappear
   * @param serviceCalls the fake's count of calls, to prove the cache alone served; {@code null}
   *     where the fake cannot count once it vanished
   */
  public static void vanishesMidRun_warmCacheServesUntilItsLimit_thenTypedFailures(MasterKey key, Runnable vanish,
      @Nullable LongSupplier serviceCalls, Duration deadline) {
    DataKeyCache cache = DataKeyCache.builder().maxMessagesPerKey(CACHE_MESSAGES).build();
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build();
        Envelope uncached = Envelope.builder().masterKeys(key).build()) {
      List<byte[]> sent = new ArrayList<>();
      sent.add(env.encrypt(PLAINTEXT, CTX));                 // message 1 of the cached data key
      assertThat(env.decrypt(sent.get(0), CTX)).isEqualTo(PLAINTEXT); // warms the decrypt side
      byte[] neverCached = uncached.encrypt(PLAINTEXT, CTX); // its own data key, unwrapped by nobody yet
      long callsBefore = serviceCalls == null ? 0 : serviceCalls.getAsLong();

      vanish.run();
      for (int i = 2; i <= CACHE_MESSAGES; i++) {
        sent.add(env.encrypt(PLAINTEXT, CTX));               // messages 2..10: the cache alone
        for (byte[] ct : sent) {
          assertThat(env.decrypt(ct, CTX)).isEqualTo(PLAINTEXT);
        }
      }
      if (serviceCalls != null) {
        assertThat(serviceCalls.getAsLong()).as("no KMS call while the cache served").isEqualTo(callsBefore);
      }

      // Message 11 needs a new data key: exactly here the outage shows, typed and within the deadline.
      assertRetryableWithin(deadline, () -> env.encrypt(PLAINTEXT, CTX));
      assertRetryableWithin(deadline, () -> env.decrypt(neverCached, CTX));
      assertRetryableWithin(deadline, () -> env.encrypt(PLAINTEXT, CTX));
      for (byte[] ct : sent) {
        assertThat(env.decrypt(ct, CTX)).as("cached data key still decrypts").isEqualTo(PLAINTEXT);
      }
      assertThat(sent).hasSize(CACHE_MESSAGES);
    }
  }
}
