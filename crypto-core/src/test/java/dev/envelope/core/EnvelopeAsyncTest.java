package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link Envelope#encryptAsync} and {@link Envelope#decryptAsync} on the async SPI: one master-key
 * call for many concurrent misses (async, sync, or both), no envelope thread held while a key is
 * outstanding, AES on the envelope's executor, typed failures, and the cache's zeroing rules.
 */
class EnvelopeAsyncTest {
  static final EncryptionContext CTX = EncryptionContext.of("tenant", "42");
  static final String ENV_THREAD = "envelope-async-test";

  private final AtomicInteger tasksRun = new AtomicInteger();
  private final ExecutorService pool = Executors.newFixedThreadPool(8, r -> new Thread(r, ENV_THREAD));
  /** The envelope's executor: the pool, counting finished tasks. */
  private final Executor executor = r -> pool.execute(() -> {
    try {
      r.run();
    } finally {
      tasksRun.incrementAndGet();
    }
  });

  @AfterEach
  void shutdown() {
    pool.shutdownNow();
  }

  static String dataKeyOf(byte[] ciphertext) {
    return HexFormat.of().formatHex(Envelope.inspect(ciphertext).keys().get(0).unsafeCiphertext());
  }

  static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not reached within 10 s");
      }
      Thread.sleep(2);
    }
  }

  private Envelope envelope(MasterKey key, DataKeyCache cache) {
    return Envelope.builder().masterKeys(key).dataKeyCache(cache).executor(executor).build();
  }

  @Test
  void encryptAsync_64ConcurrentOnColdCache_oneAsyncGenerateDataKey() throws Exception {
    CountingMasterKey key = new CountingMasterKey("gated");
    key.asyncGate = new CompletableFuture<>();
    DataKeyCache cache = DataKeyCache.builder().build();
    try (Envelope env = envelope(key, cache)) {
      List<CompletableFuture<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        results.add(env.encryptAsync(("message " + i).getBytes(StandardCharsets.UTF_8), CTX));
      }
      // Every call has looked the key up and is waiting, holding no thread, before the key arrives.
      awaitTrue(() -> tasksRun.get() >= 64);
      assertThat(key.asyncCalls).hasValue(1);
      assertThat(results).allSatisfy(f -> assertThat(f).isNotDone());

      key.asyncGate.complete(null);
      Set<String> dataKeys = ConcurrentHashMap.newKeySet();
      for (int i = 0; i < 64; i++) {
        byte[] ct = results.get(i).get(10, TimeUnit.SECONDS);
        dataKeys.add(dataKeyOf(ct));
        assertThat(env.decryptAsync(ct, CTX).get(10, TimeUnit.SECONDS)).asString(StandardCharsets.UTF_8)
            .isEqualTo("message " + i);
      }
      assertThat(dataKeys).hasSize(1);
    }
    assertThat(key.generates).hasValue(1);
    assertThat(key.unwraps).hasValue(1);
    assertThat(cache.stats().misses()).isEqualTo(2);
    assertThat(cache.stats().hits()).isEqualTo(126);
  }

  @Test
  void encryptAsync_64ConcurrentWithDefaultSpi_oneGenerateDataKey() throws Exception {
    CountingMasterKey key = new CountingMasterKey("default-spi");
    key.sleepMillis = 50;
    try (Envelope env = envelope(key, DataKeyCache.builder().build())) {
      List<CompletableFuture<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        results.add(env.encryptAsync(new byte[16], CTX));
      }
      Set<String> dataKeys = ConcurrentHashMap.newKeySet();
      for (CompletableFuture<byte[]> f : results) {
        dataKeys.add(dataKeyOf(f.get(10, TimeUnit.SECONDS)));
      }
      assertThat(dataKeys).hasSize(1);
    }
    assertThat(key.generates).hasValue(1);
  }

  @Test
  void decryptAsync_64ConcurrentOfOneMessage_oneUnwrap() throws Exception {
    CountingMasterKey key = new CountingMasterKey("decrypt");
    byte[] ct;
    try (Envelope writer = Envelope.builder().masterKeys(key).build()) {
      ct = writer.encrypt("hello".getBytes(StandardCharsets.UTF_8), CTX);
    }
    key.asyncGate = new CompletableFuture<>();
    try (Envelope env = envelope(key, DataKeyCache.builder().build())) {
      List<CompletableFuture<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < 64; i++) {
        results.add(env.decryptAsync(ct, CTX));
      }
      awaitTrue(() -> tasksRun.get() >= 64);
      key.asyncGate.complete(null);
      for (CompletableFuture<byte[]> f : results) {
        assertThat(f.get(10, TimeUnit.SECONDS)).asString(StandardCharsets.UTF_8).isEqualTo("hello");
      }
    }
    assertThat(key.unwraps).hasValue(1);
    assertThat(key.asyncCalls).hasValue(1);
  }

  @Test
  void encryptAsync_whileKeyIsOutstanding_envelopeThreadStaysFree_andAesRunsOnIt() throws Exception {
    CountingMasterKey key = new CountingMasterKey("free");
    key.asyncGate = new CompletableFuture<>();
    ExecutorService single = Executors.newSingleThreadExecutor(r -> new Thread(r, ENV_THREAD + "-single"));
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(DataKeyCache.builder().build())
        .executor(single).build()) {
      CompletableFuture<byte[]> ct = env.encryptAsync(new byte[100], CTX);
      awaitTrue(() -> key.asyncCalls.get() == 1);

      assertThat(single.submit(() -> "free").get(5, TimeUnit.SECONDS)).isEqualTo("free");
      assertThat(ct).isNotDone();
      CompletableFuture<String> completedOn = ct.thenApply(x -> Thread.currentThread().getName());
      key.asyncGate.complete(null);

      assertThat(completedOn.get(10, TimeUnit.SECONDS)).isEqualTo(ENV_THREAD + "-single");
      assertThat(env.decrypt(ct.get(), CTX)).hasSize(100);
    } finally {
      single.shutdownNow();
    }
  }

  @Test
  void syncEncrypt_whileAsyncLoadIsInFlight_waitsForThatLoad() throws Exception {
    CountingMasterKey key = new CountingMasterKey("mixed");
    key.asyncGate = new CompletableFuture<>();
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try (Envelope env = envelope(key, DataKeyCache.builder().build())) {
      CompletableFuture<byte[]> async = env.encryptAsync(new byte[1], CTX);
      awaitTrue(() -> key.asyncCalls.get() == 1);
      Future<byte[]> sync = caller.submit(() -> env.encrypt(new byte[1], CTX));
      Thread.sleep(100);
      assertThat(sync).isNotDone();

      key.asyncGate.complete(null);

      assertThat(dataKeyOf(sync.get(10, TimeUnit.SECONDS))).isEqualTo(dataKeyOf(async.get(10, TimeUnit.SECONDS)));
    } finally {
      caller.shutdownNow();
    }
    assertThat(key.generates).hasValue(1);
  }

  @Test
  void encryptAsync_whileSyncLoadIsInFlight_sharesThatLoad() throws Exception {
    CountingMasterKey key = new CountingMasterKey("mixed-sync-first");
    key.sleepMillis = 300;
    ExecutorService caller = Executors.newSingleThreadExecutor();
    try (Envelope env = envelope(key, DataKeyCache.builder().build())) {
      Future<byte[]> sync = caller.submit(() -> env.encrypt(new byte[1], CTX));
      awaitTrue(() -> key.generates.get() == 1);
      CompletableFuture<byte[]> async = env.encryptAsync(new byte[1], CTX);

      assertThat(dataKeyOf(async.get(10, TimeUnit.SECONDS))).isEqualTo(dataKeyOf(sync.get(10, TimeUnit.SECONDS)));
    } finally {
      caller.shutdownNow();
    }
    assertThat(key.generates).hasValue(1);
  }

  @Test
  void encryptAsync_loadFails_everyWaiterGetsTheTypedException_nextCallLoadsAgain() throws Exception {
    CountingMasterKey key = new CountingMasterKey("failing");
    key.asyncGate = new CompletableFuture<>();
    key.failNextGenerate.set(new KmsException("KMS down for the test", true));
    try (Envelope env = envelope(key, DataKeyCache.builder().build())) {
      List<CompletableFuture<byte[]>> results = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        results.add(env.encryptAsync(new byte[1], CTX));
      }
      awaitTrue(() -> tasksRun.get() >= 10);
      key.asyncGate.complete(null);

      for (CompletableFuture<byte[]> f : results) {
        assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
            .cause().isInstanceOfSatisfying(KmsException.class, e -> assertThat(e.isRetryable()).isTrue());
        assertThat(f.handle((v, e) -> e).join()).isExactlyInstanceOf(KmsException.class);
      }
      assertThat(key.asyncCalls).hasValue(1);

      assertThat(env.decryptAsync(env.encryptAsync(new byte[3], CTX).get(10, TimeUnit.SECONDS), CTX)
          .get(10, TimeUnit.SECONDS)).hasSize(3);
    }
    assertThat(key.generates).hasValue(2);
  }

  @Test
  void decryptAsync_wrongContextOrAlteredOrForeignKey_typedFailures() throws Exception {
    CountingMasterKey key = new CountingMasterKey("decrypt-failures");
    key.asyncGate = CompletableFuture.completedFuture(null);
    CountingMasterKey stranger = new CountingMasterKey("stranger");
    try (Envelope env = envelope(key, DataKeyCache.builder().build());
        Envelope other = Envelope.builder().masterKeys(stranger).executor(executor).build()) {
      byte[] ct = env.encryptAsync(new byte[40], CTX).get(10, TimeUnit.SECONDS);
      byte[] altered = ct.clone();
      altered[altered.length - 1] ^= 1;

      assertThat(env.decryptAsync(ct, EncryptionContext.of("tenant", "43")).handle((v, e) -> e).get(10, TimeUnit.SECONDS))
          .isExactlyInstanceOf(InvalidCiphertextException.class);
      assertThat(env.decryptAsync(altered, CTX).handle((v, e) -> e).get(10, TimeUnit.SECONDS))
          .isExactlyInstanceOf(InvalidCiphertextException.class);
      assertThat(env.decryptAsync(new byte[] {1, 2, 3}, CTX).handle((v, e) -> e).get(10, TimeUnit.SECONDS))
          .isExactlyInstanceOf(InvalidCiphertextException.class);
      assertThat(other.decryptAsync(ct, CTX).handle((v, e) -> e).get(10, TimeUnit.SECONDS))
          .isExactlyInstanceOf(KeyUnavailableException.class);
    }
    assertThat(stranger.unwraps).hasValue(0);
    assertThat(stranger.asyncCalls).hasValue(0);
  }

  @Test
  void encryptAsync_withoutCache_twoMasterKeys_wrapAsyncForTheSecond_eachAloneDecrypts() throws Exception {
    CountingMasterKey first = new CountingMasterKey("first");
    CountingMasterKey second = new CountingMasterKey("second");
    first.asyncGate = CompletableFuture.completedFuture(null);
    second.asyncGate = CompletableFuture.completedFuture(null);
    byte[] ct;
    try (Envelope both = Envelope.builder().masterKeys(first, second).executor(executor).build()) {
      ct = both.encryptAsync("both".getBytes(StandardCharsets.UTF_8), CTX).get(10, TimeUnit.SECONDS);
    }
    assertThat(first.asyncCalls).hasValue(1);
    assertThat(second.asyncCalls).hasValue(1);
    assertThat(second.wraps).hasValue(1);
    for (MasterKey alone : List.of(first, second)) {
      try (Envelope env = Envelope.builder().masterKeys(alone).executor(executor).build()) {
        assertThat(env.decryptAsync(ct, CTX).get(10, TimeUnit.SECONDS)).asString(StandardCharsets.UTF_8)
            .isEqualTo("both");
      }
    }
    assertThat(first.generated).allSatisfy(s -> assertThat(s.isDestroyed()).isTrue());
  }

  @Test
  void listener_asyncCalls_sameEventsAsSync_deliveredOnTheEnvelopeExecutor() throws Exception {
    CountingMasterKey key = new CountingMasterKey("events");
    key.asyncGate = CompletableFuture.completedFuture(null);
    List<KeyUsageEvent> events = new CopyOnWriteArrayList<>();
    Set<String> threads = ConcurrentHashMap.newKeySet();
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(DataKeyCache.builder().build())
        .executor(executor).listener(e -> {
          events.add(e);
          threads.add(Thread.currentThread().getName());
        }).build()) {
      byte[] ct = env.encryptAsync(new byte[1], CTX).get(10, TimeUnit.SECONDS);
      env.encryptAsync(new byte[1], CTX).get(10, TimeUnit.SECONDS);
      env.decryptAsync(ct, CTX).get(10, TimeUnit.SECONDS);
      env.decryptAsync(ct, CTX).get(10, TimeUnit.SECONDS);
    }
    assertThat(events).extracting(KeyUsageEvent::operation).containsExactly(
        KeyUsageEvent.Operation.GENERATE_DATA_KEY, KeyUsageEvent.Operation.ENCRYPT_CACHE_MISS,
        KeyUsageEvent.Operation.ENCRYPT_CACHE_HIT, KeyUsageEvent.Operation.UNWRAP,
        KeyUsageEvent.Operation.DECRYPT_CACHE_MISS, KeyUsageEvent.Operation.DECRYPT_CACHE_HIT);
    assertThat(threads).containsOnly(ENV_THREAD);
  }

  @Test
  void encryptAsync_afterClose_failsWithRejectedExecution() {
    CountingMasterKey key = new CountingMasterKey("closed");
    Envelope env = Envelope.builder().masterKeys(key).build();
    env.close();

    assertThat(env.encryptAsync(new byte[1], CTX).handle((v, e) -> e).join())
        .isInstanceOf(RejectedExecutionException.class);
    assertThat(env.decryptAsync(new byte[1], CTX).handle((v, e) -> e).join())
        .isInstanceOf(RejectedExecutionException.class);
    assertThat(key.generates).hasValue(0);
  }

  /**
   * Async and sync callers together on keys that churn (message limit, tiny cache, explicit
   * clean-ups): the message limit holds, no message is sealed with a zeroed key (every ciphertext
   * decrypts with a cache-less envelope), and every data key is zeroed once the envelope closes.
   */
  @Test
  void asyncAndSyncTogether_churningKeys_limitsHoldAndNoZeroedKeyIsUsed() throws Exception {
    CountingMasterKey key = new CountingMasterKey("churn");
    key.asyncGate = CompletableFuture.completedFuture(null);
    long maxMessages = 5;
    DataKeyCache cache = DataKeyCache.builder().maxMessagesPerKey(maxMessages).maximumSize(2)
        .maxAge(Duration.ofMinutes(1)).build();
    EncryptionContext[] contexts = new EncryptionContext[4];
    for (int i = 0; i < contexts.length; i++) {
      contexts[i] = EncryptionContext.of("shard", Integer.toString(i));
    }
    ConcurrentHashMap<String, AtomicLong> perKey = new ConcurrentHashMap<>();
    List<Object[]> produced = new CopyOnWriteArrayList<>();
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try (Envelope env = envelope(key, cache)) {
      List<Future<?>> done = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        done.add(callers.submit(() -> {
          ThreadLocalRandom r = ThreadLocalRandom.current();
          for (int i = 0; i < 100; i++) {
            EncryptionContext ctx = contexts[r.nextInt(contexts.length)];
            byte[] pt = new byte[r.nextInt(64)];
            r.nextBytes(pt);
            byte[] ct = r.nextBoolean() ? env.encrypt(pt, ctx) : env.encryptAsync(pt, ctx).get(10, TimeUnit.SECONDS);
            perKey.computeIfAbsent(dataKeyOf(ct), k -> new AtomicLong()).incrementAndGet();
            produced.add(new Object[] {ct, pt, ctx});
            if (r.nextInt(20) == 0) {
              cache.cleanUp();
            }
          }
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      callers.shutdownNow();
    }
    assertThat(produced).hasSize(800);
    assertThat(perKey.values()).allSatisfy(n -> assertThat(n.get()).isLessThanOrEqualTo(maxMessages));
    assertThat(key.generated).allSatisfy(s -> assertThat(s.isDestroyed()).isTrue());
    try (Envelope fresh = Envelope.builder().masterKeys(key).executor(executor).build()) {
      for (Object[] p : produced) {
        assertThat(fresh.decrypt((byte[]) p[0], (EncryptionContext) p[2])).isEqualTo((byte[]) p[1]);
      }
    }
  }
}
