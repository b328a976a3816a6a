package dev.envelope.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.DataKeyCache;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.WrappedKey;
import dev.envelope.testkit.gcp.GcpFakes;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Envelope with Cloud KMS master keys, against the fake through the real client. */
class GcpEnvelopeTest {
  private static final String KEY_A = "projects/envelope-test/locations/europe-west1/keyRings/app/cryptoKeys/a";
  private static final String KEY_B = "projects/envelope-dr/locations/us-east1/keyRings/app/cryptoKeys/b";
  private static final String KEY_C = "projects/envelope-test/locations/europe-west1/keyRings/app/cryptoKeys/unrelated";
  private static final EncryptionContext CONTEXT = EncryptionContext.of("tenant", "42", "purpose", "invoice");
  private static final byte[] PLAINTEXT = "invoice #1001: 3 widgets".getBytes(StandardCharsets.UTF_8);

  private GcpFakes region1;
  private GcpFakes region2;
  private GcpKmsMasterKey a;
  private GcpKmsMasterKey b;
  private GcpKmsMasterKey c;

  @BeforeEach
  void start() {
    region1 = GcpFakes.start();
    region2 = GcpFakes.start();
    region1.kms().createKey(KEY_A);
    region1.kms().createKey(KEY_C);
    region2.kms().createKey(KEY_B);
    a = GcpKmsMasterKey.builder().keyName(KEY_A).endpoint(region1.endpoint()).build();
    b = GcpKmsMasterKey.builder().keyName(KEY_B).endpoint(region2.endpoint()).build();
    c = GcpKmsMasterKey.builder().keyName(KEY_C).endpoint(region1.endpoint()).build();
  }

  @AfterEach
  void stop() {
    a.close();
    b.close();
    c.close();
    region1.close();
    region2.close();
  }

  @Test
  void encryptDecrypt_sameContext_roundTrips_otherContextFails() {
    try (Envelope env = Envelope.builder().masterKeys(a).build()) {
      byte[] ct = env.encrypt(PLAINTEXT, CONTEXT);

      assertThat(env.decrypt(ct, CONTEXT)).isEqualTo(PLAINTEXT);
      assertThatThrownBy(() -> env.decrypt(ct, EncryptionContext.of("tenant", "43", "purpose", "invoice")))
          .isInstanceOf(InvalidCiphertextException.class);
      List<WrappedKey> keys = Envelope.inspect(ct).keys();
      assertThat(keys).singleElement().satisfies(w -> {
        assertThat(w.keyId()).isEqualTo(KEY_A);
        assertThat(w.version()).isEqualTo(KEY_A + "/cryptoKeyVersions/1");
      });
    }
  }

  @Test
  void cache_64ThreadsEncryptingConcurrently_makeOneEncryptCall() throws Exception {
    region1.faults().latency("Encrypt", Duration.ofMillis(200));
    try (DataKeyCache cache = DataKeyCache.builder().build();
        Envelope env = Envelope.builder().masterKeys(a).dataKeyCache(cache).build()) {
      List<byte[]> ciphertexts = runConcurrently(64, () -> env.encrypt(PLAINTEXT, CONTEXT));

      assertThat(region1.faults().calls("Encrypt")).isEqualTo(1);
      for (byte[] ct : ciphertexts) {
        assertThat(env.decrypt(ct, CONTEXT)).isEqualTo(PLAINTEXT);
      }
      assertThat(region1.faults().calls("Decrypt")).isEqualTo(1);
    }
  }

  @Test
  void cache_64ThreadsDecryptingConcurrently_makeOneDecryptCall() throws Exception {
    byte[] ct;
    try (Envelope writer = Envelope.builder().masterKeys(a).build()) {
      ct = writer.encrypt(PLAINTEXT, CONTEXT);
    }
    region1.faults().latency("Decrypt", Duration.ofMillis(200));
    try (DataKeyCache cache = DataKeyCache.builder().build();
        Envelope reader = Envelope.builder().masterKeys(a).dataKeyCache(cache).build()) {
      List<byte[]> plaintexts = runConcurrently(64, () -> reader.decrypt(ct, CONTEXT));

      assertThat(plaintexts).allSatisfy(p -> assertThat(p).isEqualTo(PLAINTEXT));
      assertThat(region1.faults().calls("Decrypt")).isEqualTo(1);
    }
  }

  @Test
  void twoKeysInTwoRegions_eitherAloneDecrypts_anUnrelatedKeyCannot() {
    byte[] ct;
    try (Envelope both = Envelope.builder().masterKeys(a, b).build()) {
      ct = both.encrypt(PLAINTEXT, CONTEXT);
    }

    try (Envelope onlyA = Envelope.builder().masterKeys(a).build();
        Envelope onlyB = Envelope.builder().masterKeys(b).build();
        Envelope onlyC = Envelope.builder().masterKeys(c).build()) {
      assertThat(onlyA.decrypt(ct, CONTEXT)).isEqualTo(PLAINTEXT);
      assertThat(onlyB.decrypt(ct, CONTEXT)).isEqualTo(PLAINTEXT);
      long decryptsBefore = region1.faults().calls("Decrypt");
      assertThatThrownBy(() -> onlyC.decrypt(ct, CONTEXT)).isInstanceOf(KeyUnavailableException.class);
      assertThat(region1.faults().calls("Decrypt")).isEqualTo(decryptsBefore);
    }
  }

  @Test
  void oneRegionDown_theOtherKeyStillDecrypts() {
    byte[] ct;
    try (Envelope both = Envelope.builder().masterKeys(a, b).build()) {
      ct = both.encrypt(PLAINTEXT, CONTEXT);
    }
    region1.faults().failAlways("Decrypt", io.grpc.Status.Code.PERMISSION_DENIED);

    try (Envelope either = Envelope.builder().masterKeys(a, b).build()) {
      assertThat(either.decrypt(ct, CONTEXT)).isEqualTo(PLAINTEXT);
    }
    assertThat(region2.faults().calls("Decrypt")).isEqualTo(1);
  }

  @Test
  void keyRotation_oldMessagesDecrypt_rewrapMovesThemToTheNewVersion() {
    try (Envelope env = Envelope.builder().masterKeys(a).build()) {
      byte[] old = env.encrypt(PLAINTEXT, CONTEXT);
      String v2 = region1.kms().rotate(KEY_A);

      byte[] rewrapped = env.rewrap(old, CONTEXT);

      assertThat(env.decrypt(old, CONTEXT)).isEqualTo(PLAINTEXT);
      assertThat(Envelope.inspect(rewrapped).keys().get(0).version()).isEqualTo(v2);
      region1.kms().setVersionEnabled(KEY_A + "/cryptoKeyVersions/1", false);
      assertThat(env.decrypt(rewrapped, CONTEXT)).isEqualTo(PLAINTEXT);
      assertThatThrownBy(() -> env.decrypt(old, CONTEXT)).isInstanceOf(KeyUnavailableException.class);
    }
  }

  private static <T> List<T> runConcurrently(int threads, java.util.concurrent.Callable<T> task) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch ready = new CountDownLatch(threads);
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        futures.add(pool.submit(() -> {
          ready.countDown();
          go.await();
          return task.call();
        }));
      }
      ready.await();
      go.countDown();
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) {
        out.add(f.get(30, TimeUnit.SECONDS));
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }
}
