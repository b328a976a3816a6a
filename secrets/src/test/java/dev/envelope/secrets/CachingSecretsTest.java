package dev.envelope.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretNotFoundException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CachingSecretsTest {
  static final String NAME = "prod/db";
  static final Duration TTL = Duration.ofMinutes(10);
  static final Duration AHEAD = Duration.ofMinutes(1);
  static final Duration MAX_STALE = Duration.ofHours(1);
  static final Duration RETRY = Duration.ofSeconds(10);

  final ScriptedStore store = new ScriptedStore();
  final FakeTicker ticker = new FakeTicker();
  final ManualExecutor manual = new ManualExecutor();
  final List<ExecutorService> pools = new ArrayList<>();

  @AfterEach
  void tearDown() {
    store.release();
    pools.forEach(ExecutorService::shutdownNow);
  }

  CachingSecrets.Builder builder() {
    return CachingSecrets.builder().store(store).ttl(TTL).refreshAhead(AHEAD).maxStale(MAX_STALE)
        .retryInterval(RETRY).ticker(ticker).executor(manual);
  }

  ExecutorService pool(int threads) {
    ExecutorService p = Executors.newFixedThreadPool(threads);
    pools.add(p);
    return p;
  }

  static KmsException throttled() {
    return new KmsException("store throttled", true);
  }

  @Test
  void get_warmAndFresh_noStoreCall() {
    store.delegate.put(NAME, "v1");
    CachingSecrets secrets = builder().build();
    assertThat(secrets.get(NAME).asString()).isEqualTo("v1");
    ticker.advance(TTL.minus(AHEAD).minusSeconds(1));
    for (int i = 0; i < 100; i++) {
      assertThat(secrets.get(NAME).asString()).isEqualTo("v1");
    }
    assertThat(store.gets).hasValue(1);
    assertThat(manual.pending()).isZero();
  }

  @Test
  void get_32ThreadsCold_oneStoreCall() throws Exception {
    store.delegate.put(NAME, "v1");
    CachingSecrets secrets = builder().build();
    CountDownLatch entered = store.block();
    // Every thread is inside the cache before the store call returns.
    List<Future<String>> results = startTogetherAndWait(32, entered, () -> secrets.get(NAME).asString());
    store.release();
    for (Future<String> f : results) {
      assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo("v1");
    }
    assertThat(store.gets).hasValue(1);
  }

  @Test
  void get_inRefreshWindowWhileStoreBlocks_returnsAtOnceAndRefreshesInBackground() throws Exception {
    store.delegate.put(NAME, "v1");
    ExecutorService refresher = pool(1);
    CachingSecrets secrets = builder().executor(refresher).build();
    assertThat(secrets.get(NAME).asString()).isEqualTo("v1");
    AtomicReference<String> changedTo = new AtomicReference<>();
    secrets.onChange(NAME, (old, now) -> changedTo.set(old.asString() + "->" + now.asString()));

    store.delegate.put(NAME, "v2");
    store.callerThreads.clear();
    CountDownLatch entered = store.block();
    ticker.advance(TTL.minus(AHEAD).plusSeconds(1));
    long[] slowest = new long[1];
    assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
      for (int i = 0; i < 1_000; i++) {
        long t0 = System.nanoTime();
        assertThat(secrets.get(NAME).asString()).isEqualTo("v1");
        slowest[0] = Math.max(slowest[0], System.nanoTime() - t0);
      }
    });
    // The refresh is inside the store, blocked, on another thread; callers were not held up by it.
    assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(store.callerThreads).doesNotContain(Thread.currentThread()).hasSize(1);
    assertThat(store.gets).hasValue(2);
    assertThat(Duration.ofNanos(slowest[0])).isLessThan(Duration.ofMillis(500));

    store.release();
    awaitTrue(() -> "v1->v2".equals(changedTo.get()));
    assertThat(secrets.get(NAME).asString()).isEqualTo("v2");
    assertThat(store.gets).hasValue(2);
  }

  @Test
  void get_refreshedAhead_neverExpiresForAReader() {
    store.delegate.put(NAME, "v1");
    CachingSecrets secrets = builder().build();
    secrets.get(NAME);
    for (int round = 0; round < 5; round++) {
      ticker.advance(TTL.minus(AHEAD).plusSeconds(5));
      assertThat(secrets.get(NAME).asString()).isEqualTo("v1");
      assertThat(manual.runAll()).isEqualTo(1);
    }
    // 1 load + 5 background refreshes, none on this thread.
    assertThat(store.gets).hasValue(6);
    assertThat(store.callerThreads).containsExactly(Thread.currentThread()); // the manual executor ran here
  }

  @Test
  void get_expiredWithoutReads_callerLoadsFreshValue() {
    store.delegate.put(NAME, "v1");
    CachingSecrets secrets = builder().build();
    secrets.get(NAME);
    store.delegate.put(NAME, "v2");
    ticker.advance(TTL);
    assertThat(secrets.get(NAME).asString()).isEqualTo("v2");
    assertThat(manual.pending()).isZero();
    assertThat(store.gets).hasValue(2);
  }

  @Test
  void get_storeFailsRetryably_servesStaleUntilMaxStaleThenTypedError() {
    store.delegate.put(NAME, "v1");
    CachingSecrets secrets = builder().build();
    secrets.get(NAME);
    store.failWith(CachingSecretsTest::throttled);

    ticker.advance(TTL.minus(AHEAD).plusSeconds(1));
    assertThat(secrets.get(NAME).asString()).isEqualTo("v1");
    assertThat(manual.runAll()).isEqualTo(1); // background refresh fails

    ticker.advance(AHEAD); // past ttl
    assertThat(secrets.get(NAME).asString()).isEqualTo("v1"); // stale, served at once
    assertThat(manual.runAll()).isEqualTo(1); // retry in the background
    assertThat(secrets.get(NAME).asString()).isEqualTo("v1");
    assertThat(manual.runAll()).as("no retry within retryInterval").isZero();

    ticker.advance(MAX_STALE.minusSeconds(30)); // age = ttl + maxStale - 29 s
    assertThat(secrets.get(NAME).asString()).isEqualTo("v1");
    manual.runAll();

    ticker.advance(Duration.ofSeconds(30)); // age = ttl + maxStale + 1 s; last failure 30 s ago
    assertThatThrownBy(() -> secrets.get(NAME))
        .isInstanceOf(StaleSecretException.class)
        .hasMessageContaining("prod/db")
        .hasCauseInstanceOf(KmsException.class)
        .satisfies(e -> assertThat(((KmsException) e).isRetryable()).isTrue());
    int calls = store.gets.get();
    // Within retryInterval of the last failure the caller fails fast, without a store call.
    ticker.advance(Duration.ofSeconds(1));
    assertThatThrownBy(() -> secrets.get(NAME)).isInstanceOf(StaleSecretException.class);
    assertThat(store.gets).hasValue(calls);

    store.succeed();
    store.delegate.put(NAME, "v2");
    ticker.advance(RETRY);
    assertThat(secrets.get(NAME).asString()).isEqualTo("v2");
  }

  @Test
  void get_expiredAndStoreFailsOnCallerLoad_servesStaleWithinMaxStale() {
    store.delegate.put(NAME, "v1");
    CachingSecrets secrets = builder().build();
    secrets.get(NAME);
    store.failWith(CachingSecretsTest::throttled);
    ticker.advance(TTL.plusSeconds(1));
    assertThat(secrets.get(NAME).asString()).isEqualTo("v1");
    assertThat(store.gets).hasValue(2);
  }

  @Test
  void get_maxStaleZero_failsAtTtl() {
    store.delegate.put(NAME, "v1");
    CachingSecrets secrets = builder().maxStale(Duration.ZERO).build();
    secrets.get(NAME);
    store.failWith(CachingSecretsTest::throttled);
    ticker.advance(TTL);
    assertThatThrownBy(() -> secrets.get(NAME)).isInstanceOf(StaleSecretException.class);
  }

  @Test
  void get_coldAndStoreFails_storeErrorPropagates() {
    CachingSecrets secrets = builder().build();
    assertThatThrownBy(() -> secrets.get(NAME)).isInstanceOf(SecretNotFoundException.class);
    store.failWith(() -> new AccessDeniedException("denied"));
    assertThatThrownBy(() -> secrets.get(NAME)).isInstanceOf(AccessDeniedException.class);
  }

  @Test
  void get_foreignStoreException_becomesRetryableKmsExceptionWithoutItsMessage() {
    store.failWith(() -> new IllegalStateException("connection reset; token=abc"));
    CachingSecrets secrets = builder().build();
    assertThatThrownBy(() -> secrets.get(NAME))
        .isInstanceOf(KmsException.class)
        .hasMessageNotContaining("token=abc")
        .hasCauseInstanceOf(IllegalStateException.class)
        .satisfies(e -> assertThat(((KmsException) e).isRetryable()).isTrue());
  }

  @Test
  void get_refreshFindsSecretDeleted_dropsCachedValue() {
    store.delegate.put(NAME, "v1");
    CachingSecrets secrets = builder().build();
    secrets.get(NAME);
    store.delegate.delete(NAME);
    ticker.advance(TTL.minus(AHEAD));
    assertThat(secrets.get(NAME).asString()).isEqualTo("v1"); // still within ttl
    manual.runAll();
    assertThatThrownBy(() -> secrets.get(NAME)).isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void get_versionsCachedSeparately() {
    store.delegate.put(NAME, "v1");
    String pendingId = store.delegate.putPending(NAME, "v2");
    CachingSecrets secrets = builder().build();
    assertThat(secrets.get(NAME).asString()).isEqualTo("v1");
    assertThat(secrets.get(NAME, Version.pending()).asString()).isEqualTo("v2");
    assertThat(secrets.get(NAME, Version.pending()).versionId()).isEqualTo(pendingId);
    assertThat(secrets.get(NAME, Version.id(pendingId)).hasStage("AWSPENDING")).isTrue();
    assertThat(store.gets).hasValue(3);
  }

  @Test
  void refreshNow_afterPromotion_returnsNewCurrentAndNotifies() {
    store.delegate.put(NAME, "v1");
    CachingSecrets secrets = builder().build();
    List<String> changes = new ArrayList<>();
    secrets.onChange(NAME, (old, now) -> changes.add(old.asString() + "->" + now.asString()));
    secrets.get(NAME);
    String id = store.delegate.putPending(NAME, "v2");
    store.delegate.promote(NAME, id);
    assertThat(secrets.get(NAME).asString()).isEqualTo("v1"); // cached
    SecretValue now = secrets.refreshNow(NAME);
    assertThat(now.asString()).isEqualTo("v2");
    assertThat(now.stages()).containsExactly("AWSCURRENT");
    assertThat(secrets.get(NAME).asString()).isEqualTo("v2");
    assertThat(changes).containsExactly("v1->v2");
  }

  @Test
  void refreshNow_whileOlderLoadInFlight_doesNotTrustIt() throws Exception {
    store.delegate.put(NAME, "v1");
    ExecutorService refresher = pool(1);
    CachingSecrets secrets = builder().executor(refresher).build();
    secrets.get(NAME);
    CountDownLatch entered = store.block();
    ticker.advance(TTL.minus(AHEAD));
    secrets.get(NAME); // background refresh reads v1, then blocks
    assertThat(entered.await(5, TimeUnit.SECONDS)).isTrue();
    store.delegate.put(NAME, "v2"); // the rotation the caller reacts to
    Future<String> refreshed = pool(1).submit(() -> secrets.refreshNow(NAME).asString());
    Thread.sleep(100);
    assertThat(refreshed).isNotDone(); // waits for the old load to finish
    store.release();
    assertThat(refreshed.get(5, TimeUnit.SECONDS)).isEqualTo("v2");
    assertThat(store.gets).hasValue(3);
  }

  @Test
  void refreshNow_32Threads_shareStoreCalls() throws Exception {
    store.delegate.put(NAME, "v1");
    CachingSecrets secrets = builder().build();
    secrets.get(NAME);
    store.delegate.put(NAME, "v2");
    CountDownLatch entered = store.block();
    List<Future<String>> results = startTogetherAndWait(32, entered, () -> secrets.refreshNow(NAME).asString());
    store.release();
    for (Future<String> f : results) {
      assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo("v2");
    }
    // One call all joined, or one plus one for threads that arrived after it started.
    assertThat(store.gets.get() - 1).isBetween(1, 2);
  }

  @Test
  void onChange_unsubscribedOrThrowing_doesNotBreakOthers() {
    store.delegate.put(NAME, "v1");
    CachingSecrets secrets = builder().build();
    AtomicInteger calls = new AtomicInteger();
    CachingSecrets.Subscription gone = secrets.onChange(NAME, (o, n) -> calls.addAndGet(100));
    secrets.onChange(NAME, (o, n) -> {
      throw new IllegalStateException("listener bug");
    });
    secrets.onChange(NAME, (o, n) -> calls.incrementAndGet());
    gone.close();
    secrets.get(NAME);
    store.delegate.put(NAME, "v2");
    assertThat(secrets.refreshNow(NAME).asString()).isEqualTo("v2");
    assertThat(calls).hasValue(1);
    // Same version and value again: no change.
    secrets.refreshNow(NAME);
    assertThat(calls).hasValue(1);
  }

  @Test
  void invalidate_dropsEveryVersionOfName() {
    store.delegate.put(NAME, "v1");
    CachingSecrets secrets = builder().build();
    secrets.get(NAME);
    secrets.get(NAME, Version.stage("AWSCURRENT"));
    secrets.invalidate(NAME);
    secrets.get(NAME);
    secrets.get(NAME, Version.stage("AWSCURRENT"));
    assertThat(store.gets).hasValue(4);
  }

  @Test
  void versions_passThroughUncached() {
    store.delegate.put(NAME, "v1");
    store.delegate.put(NAME, "v2");
    CachingSecrets secrets = builder().build();
    assertThat(secrets.versions(NAME)).hasSize(2);
    assertThat(secrets.versions(NAME).get(0).stages()).containsExactly("AWSCURRENT");
  }

  @Test
  void builder_badSettings_rejected() {
    assertThatThrownBy(() -> CachingSecrets.builder().build()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> CachingSecrets.builder().ttl(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CachingSecrets.builder().maxStale(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CachingSecrets.builder().maximumSize(0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CachingSecrets.builder().store(store).ttl(Duration.ofMinutes(1))
        .refreshAhead(Duration.ofMinutes(1)).build()).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void build_defaults_ownExecutorRefreshesInBackground() throws Exception {
    store.delegate.put(NAME, "v1");
    try (CachingSecrets secrets = CachingSecrets.builder().store(store).ticker(ticker).build()) {
      secrets.get(NAME);
      store.delegate.put(NAME, "v2");
      ticker.advance(Duration.ofMinutes(4).plusSeconds(1)); // default ttl 5 min, refresh ahead 1 min
      assertThat(secrets.get(NAME).asString()).isEqualTo("v1");
      awaitTrue(() -> secrets.get(NAME).asString().equals("v2"));
      assertThat(store.callerThreads).anyMatch(t -> t.getName().startsWith("envelope-secrets-refresh-"));
    }
  }

  /** Waits until {@code n} threads have registered and all of them are parked. */
  @Test
  void get_afterClose_refreshRunsOnCallerInsteadOfFailing() {
    store.delegate.put(NAME, "v1");
    CachingSecrets secrets = CachingSecrets.builder().store(store).ttl(TTL).refreshAhead(AHEAD)
        .maxStale(Duration.ZERO).ticker(ticker).build();
    secrets.get(NAME);
    secrets.close();
    store.delegate.put(NAME, "v2");
    ticker.advance(TTL.minus(AHEAD));
    assertThat(secrets.get(NAME).asString()).isEqualTo("v1"); // served; the refresh ran right here
    assertThat(store.gets).hasValue(2);
    assertThat(secrets.get(NAME).asString()).isEqualTo("v2");
    ticker.advance(TTL);
    assertThat(secrets.get(NAME).asString()).isEqualTo("v2"); // loaded, not a stale failure
  }

  /**
   * Starts {@code n} threads running {@code call} at once, and returns when the store was entered
   * ({@code entered}, from {@link ScriptedStore#block}) and every thread is waiting.
   */
  List<Future<String>> startTogetherAndWait(int n, CountDownLatch entered, Callable<String> call)
      throws InterruptedException {
    ExecutorService threads = pool(n);
    CyclicBarrier start = new CyclicBarrier(n);
    Set<Thread> arrived = ConcurrentHashMap.newKeySet();
    List<Future<String>> results = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      results.add(threads.submit(() -> {
        start.await();
        arrived.add(Thread.currentThread());
        return call.call();
      }));
    }
    assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
    awaitAllWaiting(arrived, n);
    return results;
  }

  static void awaitAllWaiting(Set<Thread> threads, int n) throws InterruptedException {
    awaitTrue(() -> threads.size() == n && threads.stream()
        .allMatch(t -> t.getState() == Thread.State.WAITING || t.getState() == Thread.State.TIMED_WAITING));
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      Thread.sleep(5);
    }
  }
}
