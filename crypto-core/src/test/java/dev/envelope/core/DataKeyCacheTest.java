package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class DataKeyCacheTest {
  static final EncryptionContext CTX = EncryptionContext.of("tenant", "42");
  final CountingMasterKey key = new CountingMasterKey("k");
  final FakeTicker ticker = new FakeTicker();

  static String keyOf(byte[] ct) {
    return java.util.HexFormat.of().formatHex(Envelope.inspect(ct).keys().get(0).unsafeCiphertext());
  }

  @Test
  void encrypt_warmCache_makesOneMasterKeyCall() {
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(DataKeyCache.builder().build()).build()) {
      for (int i = 0; i < 100; i++) {
        assertThat(env.decrypt(env.encrypt(new byte[10], CTX), CTX)).hasSize(10);
      }
    }
    assertThat(key.generates).hasValue(1);
    assertThat(key.unwraps).hasValue(1);
  }

  @Test
  void encrypt_withoutCache_newDataKeyEveryMessage() {
    try (Envelope env = Envelope.builder().masterKeys(key).build()) {
      byte[] a = env.encrypt(new byte[1], CTX);
      byte[] b = env.encrypt(new byte[1], CTX);
      assertThat(keyOf(a)).isNotEqualTo(keyOf(b));
    }
    assertThat(key.generates).hasValue(2);
  }

  @Test
  void encrypt_differentContexts_differentDataKeys() {
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(DataKeyCache.builder().build()).build()) {
      byte[] a = env.encrypt(new byte[1], CTX);
      byte[] b = env.encrypt(new byte[1], EncryptionContext.of("tenant", "43"));
      assertThat(keyOf(a)).isNotEqualTo(keyOf(b));
    }
  }

  @Test
  void encrypt_maxAgeReached_newDataKey() {
    DataKeyCache cache = DataKeyCache.builder().maxAge(Duration.ofMinutes(5)).ticker(ticker).build();
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build()) {
      String first = keyOf(env.encrypt(new byte[1], CTX));
      ticker.advance(Duration.ofMinutes(4));
      assertThat(keyOf(env.encrypt(new byte[1], CTX))).isEqualTo(first);
      ticker.advance(Duration.ofMinutes(2));
      assertThat(keyOf(env.encrypt(new byte[1], CTX))).isNotEqualTo(first);
    }
    assertThat(key.generates).hasValue(2);
  }

  @Test
  void encrypt_maxMessagesReached_newDataKeyExactlyAfterLimit() {
    DataKeyCache cache = DataKeyCache.builder().maxMessagesPerKey(3).build();
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build()) {
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 7; i++) {
        keys.add(keyOf(env.encrypt(new byte[1], CTX)));
      }
      assertThat(keys.subList(0, 3)).containsOnly(keys.get(0));
      assertThat(keys.subList(3, 6)).containsOnly(keys.get(3));
      assertThat(keys.get(3)).isNotEqualTo(keys.get(0));
      assertThat(keys.get(6)).isNotIn(keys.get(0), keys.get(3));
    }
    assertThat(key.generates).hasValue(3);
  }

  @Test
  void encrypt_maxBytesReached_newDataKey() {
    DataKeyCache cache = DataKeyCache.builder().maxBytesPerKey(100).build();
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build()) {
      String a = keyOf(env.encrypt(new byte[60], CTX));
      String b = keyOf(env.encrypt(new byte[60], CTX)); // would reach 120 > 100
      assertThat(b).isNotEqualTo(a);
      String big = keyOf(env.encrypt(new byte[500], CTX)); // over the limit on its own: a key of its own
      String after = keyOf(env.encrypt(new byte[1], CTX));
      assertThat(after).isNotEqualTo(big);
    }
  }

  @Test
  void encrypt_64ThreadsColdCache_exactlyOneGenerateDataKey() throws Exception {
    key.sleepMillis = 50;
    DataKeyCache cache = DataKeyCache.builder().build();
    ExecutorService pool = Executors.newFixedThreadPool(64);
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build()) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        results.add(pool.submit(() -> {
          start.await();
          return env.encrypt(new byte[16], CTX);
        }));
      }
      start.countDown();
      Set<String> keys = ConcurrentHashMap.newKeySet();
      for (Future<byte[]> f : results) {
        keys.add(keyOf(f.get(30, TimeUnit.SECONDS)));
      }
      assertThat(keys).hasSize(1);
    } finally {
      pool.shutdownNow();
    }
    assertThat(key.generates).hasValue(1);
    assertThat(cache.stats().misses()).isEqualTo(1);
    assertThat(cache.stats().hits()).isEqualTo(63);
  }

  @Test
  void encrypt_64ThreadsUnderMessageLimit_limitNeverExceeded() throws Exception {
    DataKeyCache cache = DataKeyCache.builder().maxMessagesPerKey(10).build();
    ExecutorService pool = Executors.newFixedThreadPool(64);
    ConcurrentHashMap<String, java.util.concurrent.atomic.AtomicInteger> perKey = new ConcurrentHashMap<>();
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build()) {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 64; t++) {
        fs.add(pool.submit(() -> {
          for (int i = 0; i < 50; i++) {
            perKey.computeIfAbsent(keyOf(env.encrypt(new byte[8], CTX)),
                k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(perKey.values()).allSatisfy(c -> assertThat(c.get()).isLessThanOrEqualTo(10));
    assertThat(perKey.values().stream().mapToInt(java.util.concurrent.atomic.AtomicInteger::get).sum()).isEqualTo(3200);
  }

  @Test
  void close_zeroesCachedDataKeys_andEvictionZeroes() {
    DataKeyCache cache = DataKeyCache.builder().maxAge(Duration.ofMinutes(1)).ticker(ticker).build();
    Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build();
    env.encrypt(new byte[1], CTX);
    SecretBytes first = key.generated.get(0);
    assertThat(first.isDestroyed()).isFalse();
    ticker.advance(Duration.ofMinutes(2));
    cache.cleanUp();
    assertThat(first.isDestroyed()).isTrue();
    env.encrypt(new byte[1], CTX);
    SecretBytes second = key.generated.get(1);
    assertThat(second.isDestroyed()).isFalse();
    env.close();
    assertThat(second.isDestroyed()).isTrue();
    assertThat(cache.stats().encryptKeys()).isZero();
  }

  @Test
  void listener_seesMasterKeyCallsAndCacheDecisions_withoutContextValues() {
    List<KeyUsageEvent> events = new java.util.concurrent.CopyOnWriteArrayList<>();
    EncryptionContext secretCtx = EncryptionContext.of("tenant", "tenant-value-7f3a9c");
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(DataKeyCache.builder().build())
        .listener(events::add).build()) {
      byte[] ct = env.encrypt(new byte[1], secretCtx);
      env.encrypt(new byte[1], secretCtx);
      env.decrypt(ct, secretCtx);
      env.decrypt(ct, secretCtx);
    }
    assertThat(events).extracting(KeyUsageEvent::operation).containsExactly(
        KeyUsageEvent.Operation.GENERATE_DATA_KEY, KeyUsageEvent.Operation.ENCRYPT_CACHE_MISS,
        KeyUsageEvent.Operation.ENCRYPT_CACHE_HIT, KeyUsageEvent.Operation.UNWRAP,
        KeyUsageEvent.Operation.DECRYPT_CACHE_MISS, KeyUsageEvent.Operation.DECRYPT_CACHE_HIT);
    assertThat(events).allSatisfy(e -> {
      assertThat(e.contextKeys()).containsExactly("tenant");
      assertThat(e.contextValues()).isEmpty();
      assertThat(e.toString()).doesNotContain("tenant-value-7f3a9c");
    });
  }
}
