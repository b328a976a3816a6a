package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * 64 threads against a cache whose keys churn constantly (message, byte and age limits, explicit
 * clean-ups): limits hold exactly, and no message is ever sealed with a zeroed key — a zeroed key
 * would give a ciphertext whose commitment does not match the wrapped data key, so every
 * ciphertext is decrypted afterwards by an envelope without any cache.
 */
class DataKeyCacheStressTest {
  static final int THREADS = 64;
  static final int PER_THREAD = 200;
  static final long MAX_MESSAGES = 7;
  static final long MAX_BYTES = 500;

  @Test
  void encrypt_64ThreadsWithChurningKeys_limitsHoldAndNoZeroedKeyIsUsed() throws Exception {
    CountingMasterKey key = new CountingMasterKey("stress");
    FakeTicker ticker = new FakeTicker();
    DataKeyCache cache = DataKeyCache.builder().maxMessagesPerKey(MAX_MESSAGES).maxBytesPerKey(MAX_BYTES)
        .maxAge(Duration.ofSeconds(1)).maximumSize(4).ticker(ticker).build();
    EncryptionContext[] contexts = new EncryptionContext[6];
    for (int i = 0; i < contexts.length; i++) {
      contexts[i] = EncryptionContext.of("shard", Integer.toString(i));
    }
    ConcurrentHashMap<String, AtomicLong> messagesPerKey = new ConcurrentHashMap<>();
    ConcurrentHashMap<String, AtomicLong> bytesPerKey = new ConcurrentHashMap<>();
    ConcurrentHashMap<String, Long> largestPerKey = new ConcurrentHashMap<>();
    List<Object[]> produced = java.util.Collections.synchronizedList(new ArrayList<>());
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build()) {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        futures.add(pool.submit(() -> {
          start.await();
          ThreadLocalRandom r = ThreadLocalRandom.current();
          for (int i = 0; i < PER_THREAD; i++) {
            EncryptionContext ctx = contexts[r.nextInt(contexts.length)];
            int size = r.nextInt(10) == 0 ? 600 : r.nextInt(120);
            byte[] pt = new byte[size];
            r.nextBytes(pt);
            byte[] ct = env.encrypt(pt, ctx);
            String dk = HexFormat.of().formatHex(Envelope.inspect(ct).keys().get(0).unsafeCiphertext());
            messagesPerKey.computeIfAbsent(dk, k -> new AtomicLong()).incrementAndGet();
            bytesPerKey.computeIfAbsent(dk, k -> new AtomicLong()).addAndGet(size);
            largestPerKey.merge(dk, (long) size, Math::max);
            produced.add(new Object[] {ct, pt, ctx});
            if (r.nextInt(16) == 0) {
              ticker.advance(Duration.ofMillis(r.nextInt(400)));
            }
            if (r.nextInt(32) == 0) {
              cache.cleanUp();
            }
          }
          return null;
        }));
      }
      start.countDown();
      for (Future<?> f : futures) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(produced).hasSize(THREADS * PER_THREAD);
    assertThat(messagesPerKey.values()).allSatisfy(n -> assertThat(n.get()).isLessThanOrEqualTo(MAX_MESSAGES));
    // Byte limit: exact, except a single message larger than the limit gets a key of its own.
    bytesPerKey.forEach((dk, bytes) -> {
      if (largestPerKey.get(dk) <= MAX_BYTES) {
        assertThat(bytes.get()).as("bytes under one data key").isLessThanOrEqualTo(MAX_BYTES);
      } else {
        assertThat(messagesPerKey.get(dk).get()).as("an oversize message's key is used once").isEqualTo(1);
      }
    });
    assertThat(key.generated).allSatisfy(s -> assertThat(s.isDestroyed()).isTrue());
    try (Envelope fresh = Envelope.builder().masterKeys(key).build()) {
      for (Object[] p : produced) {
        assertThat(fresh.decrypt((byte[]) p[0], (EncryptionContext) p[2])).isEqualTo((byte[]) p[1]);
      }
    }
    assertThat(key.generates.get()).isGreaterThan(THREADS * PER_THREAD / (int) MAX_MESSAGES - 1);
  }
}
