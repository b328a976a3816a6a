package dev.envelope.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.DataKeyCache;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.LocalMasterKey;
import dev.envelope.core.MessageInfo;
import dev.envelope.core.WrappedKey;
import dev.envelope.testkit.azure.AzureFaults;
import dev.envelope.testkit.azure.AzureKeyVaultFake;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Envelope messages under Azure Key Vault master keys: two vaults, a cache, rotation. */
class AzureEnvelopeTest {
  private static final EncryptionContext CTX = EncryptionContext.of("tenant", "42", "table", "orders");
  private static final byte[] PLAINTEXT = "order #1001: 3 items".getBytes(StandardCharsets.UTF_8);

  private static AzureKeyVaultFake west;
  private static AzureKeyVaultFake north;
  private static AzureKeyVaultMasterKey westKey;
  private static AzureKeyVaultMasterKey northKey;

  @BeforeAll
  static void start() {
    west = AzureKeyVaultFake.start();
    north = AzureKeyVaultFake.start();
    west.createKey("orders");
    north.createKey("orders");
    westKey = FakeVault.key(west, west.keyId("orders")).build();
    northKey = FakeVault.key(north, north.keyId("orders")).build();
  }

  @AfterAll
  static void stop() {
    west.close();
    north.close();
  }

  @BeforeEach
  void reset() {
    west.faults().reset();
    north.faults().reset();
  }

  @Test
  void encrypt_twoVaults_eitherAloneDecrypts() {
    byte[] ct;
    try (Envelope both = Envelope.builder().masterKeys(westKey, northKey).build()) {
      ct = both.encrypt(PLAINTEXT, CTX);
    }

    try (Envelope westOnly = Envelope.builder().masterKeys(westKey).build();
        Envelope northOnly = Envelope.builder().masterKeys(northKey).build()) {
      assertThat(westOnly.decrypt(ct, CTX)).isEqualTo(PLAINTEXT);
      assertThat(northOnly.decrypt(ct, CTX)).isEqualTo(PLAINTEXT);
    }
    List<WrappedKey> keys = Envelope.inspect(ct).keys();
    assertThat(keys).extracting(WrappedKey::keyId).containsExactly(west.keyId("orders"), north.keyId("orders"));
  }

  @Test
  void encrypt_azureAndLocalKey_eitherAloneDecrypts_unrelatedLocalKeyCannot() {
    LocalMasterKey local = LocalMasterKey.generate("orders-local");
    byte[] ct;
    try (Envelope both = Envelope.builder().masterKeys(westKey, local).build()) {
      ct = both.encrypt(PLAINTEXT, CTX);
    }

    try (Envelope azureOnly = Envelope.builder().masterKeys(westKey).build();
        Envelope localOnly = Envelope.builder().masterKeys(local).build();
        Envelope unrelated = Envelope.builder().masterKeys(LocalMasterKey.generate("orders-local")).build()) {
      assertThat(azureOnly.decrypt(ct, CTX)).isEqualTo(PLAINTEXT);
      assertThat(localOnly.decrypt(ct, CTX)).isEqualTo(PLAINTEXT);
      // Same name, other key material: the header names the key, the unwrap fails to authenticate.
      assertThatThrownBy(() -> unrelated.decrypt(ct, CTX)).isInstanceOf(InvalidCiphertextException.class);
    }
    assertThat(Envelope.inspect(ct).keys()).extracting(WrappedKey::provider).containsExactly("azure-kv", "local");
  }

  @Test
  void decrypt_onlyUnrelatedKey_isKeyUnavailableWithoutCalls() {
    byte[] ct;
    try (Envelope westOnly = Envelope.builder().masterKeys(westKey).build()) {
      ct = westOnly.encrypt(PLAINTEXT, CTX);
    }
    west.faults().reset();

    try (Envelope unrelated = Envelope.builder().masterKeys(northKey).build()) {
      assertThatThrownBy(() -> unrelated.decrypt(ct, CTX)).isInstanceOf(KeyUnavailableException.class);
    }
    assertThat(west.faults().calls(AzureFaults.ANY)).isZero();
    assertThat(north.faults().calls(AzureFaults.ANY)).isZero();
  }

  @Test
  void decrypt_firstVaultDown_secondVaultServes() {
    byte[] ct;
    try (Envelope both = Envelope.builder().masterKeys(westKey, northKey).build()) {
      ct = both.encrypt(PLAINTEXT, CTX);
    }
    west.faults().failAlways(AzureFaults.UNWRAP_KEY, 503, "ServiceUnavailable");

    try (Envelope both = Envelope.builder().masterKeys(westKey, northKey).build()) {
      assertThat(both.decrypt(ct, CTX)).isEqualTo(PLAINTEXT);
    }
    assertThat(west.faults().calls(AzureFaults.UNWRAP_KEY)).isEqualTo(1 + FakeVault.MAX_RETRIES);
    assertThat(north.faults().calls(AzureFaults.UNWRAP_KEY)).isEqualTo(1);
  }

  @Test
  void decrypt_wrongContext_failsAlthoughKeyVaultWrapHasNoAad() {
    try (Envelope env = Envelope.builder().masterKeys(westKey).build()) {
      byte[] ct = env.encrypt(PLAINTEXT, CTX);

      assertThatThrownBy(() -> env.decrypt(ct, EncryptionContext.of("tenant", "43", "table", "orders")))
          .isInstanceOf(InvalidCiphertextException.class);
      assertThatThrownBy(() -> env.decrypt(ct, EncryptionContext.empty()))
          .isInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void decrypt_tamperedWrappedKeyInHeader_isInvalidCiphertext() {
    try (Envelope env = Envelope.builder().masterKeys(westKey).build()) {
      byte[] ct = env.encrypt(PLAINTEXT, CTX);
      MessageInfo info = Envelope.inspect(ct);
      byte[] wrapped = info.keys().get(0).unsafeCiphertext();
      int at = indexOf(ct, wrapped);
      assertThat(at).isPositive();
      ct[at + 100] ^= 0x01;

      assertThatThrownBy(() -> env.decrypt(ct, CTX)).isInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void concurrentEncrypt_64Threads_oneWrapCall_thenOneUnwrapCall() throws Exception {
    AzureKeyVaultMasterKey key = FakeVault.key(west, west.keyId("orders")).build();
    List<byte[]> ciphertexts = new ArrayList<>();
    try (DataKeyCache cache = DataKeyCache.builder().maxAge(Duration.ofMinutes(5)).build();
        Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build()) {
      ciphertexts.addAll(runConcurrently(64, () -> env.encrypt(PLAINTEXT, CTX)));
    }
    assertThat(west.faults().calls(AzureFaults.WRAP_KEY)).isEqualTo(1);
    assertThat(west.faults().calls(AzureFaults.GET_KEY)).isEqualTo(1);

    try (DataKeyCache cache = DataKeyCache.builder().build();
        Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build()) {
      java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
      List<byte[]> plaintexts = runConcurrently(64, () -> env.decrypt(ciphertexts.get(next.getAndIncrement()), CTX));
      assertThat(plaintexts).hasSize(64).allSatisfy(p -> assertThat(p).isEqualTo(PLAINTEXT));
    }
    assertThat(west.faults().calls(AzureFaults.UNWRAP_KEY)).isEqualTo(1);
  }

  @Test
  void rotation_oldMessagesStillDecrypt_newMessagesUseNewVersion() {
    west.createKey("rotating");
    FakeVault.ManualTicker ticker = new FakeVault.ManualTicker();
    AzureKeyVaultMasterKey key = FakeVault.key(west, west.keyId("rotating")).ticker(ticker).build();
    try (Envelope env = Envelope.builder().masterKeys(key).build()) {
      byte[] before = env.encrypt(PLAINTEXT, CTX);

      String newVersion = west.rotateKey("rotating");
      ticker.advance(AzureKeyVaultMasterKey.DEFAULT_VERSION_REFRESH);
      byte[] after = env.encrypt(PLAINTEXT, CTX);

      String v1 = Envelope.inspect(before).keys().get(0).version();
      String v2 = Envelope.inspect(after).keys().get(0).version();
      assertThat(v1).isNotEqualTo(v2);
      assertThat(newVersion).endsWith("/" + v2);
      assertThat(env.decrypt(before, CTX)).isEqualTo(PLAINTEXT);
      assertThat(env.decrypt(after, CTX)).isEqualTo(PLAINTEXT);
      // Rewrap moves the old message's data key to the current version.
      byte[] rewrapped = env.rewrap(before, CTX);
      assertThat(Envelope.inspect(rewrapped).keys().get(0).version()).isEqualTo(v2);
      assertThat(env.decrypt(rewrapped, CTX)).isEqualTo(PLAINTEXT);
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
      ready.await(10, TimeUnit.SECONDS);
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

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
