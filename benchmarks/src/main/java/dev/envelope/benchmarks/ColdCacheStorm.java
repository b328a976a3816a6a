package dev.envelope.benchmarks;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CommitmentPolicy;
import com.amazonaws.encryptionsdk.CryptoAlgorithm;
import com.amazonaws.encryptionsdk.CryptoMaterialsManager;
import com.amazonaws.encryptionsdk.caching.CachingCryptoMaterialsManager;
import com.amazonaws.encryptionsdk.caching.LocalCryptoMaterialsCache;
import dev.envelope.core.DataKeyCache;
import dev.envelope.core.DataKeyStore;
import dev.envelope.core.Envelope;
import dev.envelope.core.FieldEncryptor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

/**
 * The cold-cache storm: {@code threads} threads released at once against an empty data-key cache,
 * all for the same key and context, with a master key that takes {@code latency} per call. Envelope
 * messages and field values must each make exactly one master-key call per storm (single-flight),
 * on encrypt and on decrypt; the
 * AWS Encryption SDK's caching materials manager is measured beside it for comparison.
 *
 * <pre>java -cp benchmarks/target/benchmarks.jar dev.envelope.benchmarks.ColdCacheStorm [threads] [latencyMs] [rounds]</pre>
 *
 * Exits with status 1 if any Envelope storm made other than exactly one master-key call.
 */
public final class ColdCacheStorm implements AutoCloseable {
  private static final int PAYLOAD = 100;

  /** One scenario's outcome over all rounds; latencies are per operation, in nanoseconds. */
  public record Result(String scenario, int threads, int rounds, int[] callsPerRound, long[] latencies) {
    public int maxCallsPerRound() {
      return Arrays.stream(callsPerRound).max().orElse(0);
    }

    public int minCallsPerRound() {
      return Arrays.stream(callsPerRound).min().orElse(0);
    }

    /** Nearest-rank percentile, {@code p} in (0, 100]. */
    public long percentileNanos(double p) {
      long[] sorted = latencies.clone();
      Arrays.sort(sorted);
      int rank = (int) Math.ceil(p / 100.0 * sorted.length);
      return sorted[Math.max(0, rank - 1)];
    }

    @Override
    public String toString() {
      return String.format(Locale.ROOT,
          "%-20s threads=%d storms=%d master-key calls per storm: min=%d max=%d total=%d; latency p50=%.1f ms p99=%.1f ms max=%.1f ms",
          scenario, threads, rounds, minCallsPerRound(), maxCallsPerRound(), Arrays.stream(callsPerRound).sum(),
          percentileNanos(50) / 1e6,
          percentileNanos(99) / 1e6, percentileNanos(100) / 1e6);
    }
  }

  /** One storm: {@code threads} calls of {@code op} started together; returns their latencies. */
  @FunctionalInterface
  interface Op {
    void run() throws Exception;
  }

  /**
   * {@code threads} calls of {@code op} released together, one per pool thread; returns their
   * latencies. The pool's threads live across storms, as a server's request threads do, so their
   * one-time thread-local set-up (cipher, DRBG) is not charged to the storm after the first.
   */
  static long[] storm(ExecutorService pool, int threads, Op op) throws InterruptedException {
    long[] latencies = new long[threads];
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    List<Future<?>> all = new ArrayList<>(threads);
    for (int i = 0; i < threads; i++) {
      int slot = i;
      all.add(pool.submit(() -> {
        ready.countDown();
        try {
          go.await();
          long start = System.nanoTime();
          op.run();
          latencies[slot] = System.nanoTime() - start;
        } catch (Throwable e) {
          failure.compareAndSet(null, e);
        }
      }));
    }
    // Every task holds its own pool thread before any is released.
    if (!ready.await(1, TimeUnit.MINUTES)) {
      throw new IllegalStateException("the pool has fewer than " + threads + " threads");
    }
    go.countDown();
    for (Future<?> f : all) {
      try {
        f.get(1, TimeUnit.MINUTES);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("storm task did not finish", e);
      }
    }
    if (failure.get() != null) {
      throw new IllegalStateException("storm operation failed", failure.get());
    }
    return latencies;
  }

  private interface Round {
    /** Sets up a cold instance, runs one storm into {@code latencies}, returns master-key calls. */
    int run(int threads, Duration latency, long[] latencies, int offset) throws Exception;
  }

  private static Result rounds(String scenario, int threads, Duration latency, int rounds, Round round)
      throws Exception {
    int[] calls = new int[rounds];
    long[] latencies = new long[threads * rounds];
    for (int r = 0; r < rounds; r++) {
      calls[r] = round.run(threads, latency, latencies, r * threads);
    }
    return new Result(scenario, threads, rounds, calls, latencies);
  }

  private final ExecutorService pool;
  private final int threads;

  /** A storm runner with {@code threads} long-lived threads; close it to stop them. */
  public ColdCacheStorm(int threads) {
    this.threads = threads;
    ThreadPoolExecutor p = (ThreadPoolExecutor) Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "storm");
      t.setDaemon(true);
      return t;
    });
    p.prestartAllCoreThreads();
    this.pool = p;
  }

  @Override
  public void close() {
    pool.shutdownNow();
  }

  private int countDuring(IntSupplier counter, long[] into, int offset, Op op) throws InterruptedException {
    int before = counter.getAsInt();
    long[] l = storm(pool, threads, op);
    System.arraycopy(l, 0, into, offset, threads);
    return counter.getAsInt() - before;
  }

  /** Encrypt storm on a new Envelope with an empty cache. */
  public Result envelopeEncrypt(Duration latency, int rounds) throws Exception {
    return rounds("envelope encrypt", threads, latency, rounds, (n, lat, into, off) -> {
      AesMasterKey key = AesMasterKey.withLatency("storm", lat);
      byte[] plaintext = Implementation.randomBytes(PAYLOAD);
      try (DataKeyCache cache = DataKeyCache.builder().build();
          Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build()) {
        return countDuring(key::calls, into, off, () -> env.encrypt(plaintext, Contexts.CONTEXT));
      }
    });
  }

  /** Decrypt storm: one message, then a new Envelope with an empty cache decrypting it from every thread. */
  public Result envelopeDecrypt(Duration latency, int rounds) throws Exception {
    return rounds("envelope decrypt", threads, latency, rounds, (n, lat, into, off) -> {
      AesMasterKey key = AesMasterKey.withLatency("storm", lat);
      byte[] ciphertext;
      try (Envelope writer = Envelope.builder().masterKeys(key).build()) {
        ciphertext = writer.encrypt(Implementation.randomBytes(PAYLOAD), Contexts.CONTEXT);
      }
      try (DataKeyCache cache = DataKeyCache.builder().build();
          Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(cache).build()) {
        return countDuring(key::calls, into, off, () -> env.decrypt(ciphertext, Contexts.CONTEXT));
      }
    });
  }

  /** Field encrypt storm: a new FieldEncryptor, no data key yet, every thread writing a value. */
  public Result fieldEncrypt(Duration latency, int rounds) throws Exception {
    return rounds("field encrypt", threads, latency, rounds, (n, lat, into, off) -> {
      AesMasterKey key = AesMasterKey.withLatency("storm", lat);
      byte[] plaintext = Implementation.randomBytes(PAYLOAD);
      try (FieldEncryptor fields = FieldEncryptor.builder().masterKey(key).dataKeyStore(DataKeyStore.inMemory()).build()) {
        return countDuring(key::calls, into, off, () -> fields.encrypt(plaintext, Contexts.CONTEXT));
      }
    });
  }

  /** Field decrypt storm: one value, then a new FieldEncryptor on the same store reading it from every thread. */
  public Result fieldDecrypt(Duration latency, int rounds) throws Exception {
    return rounds("field decrypt", threads, latency, rounds, (n, lat, into, off) -> {
      AesMasterKey key = AesMasterKey.withLatency("storm", lat);
      DataKeyStore store = DataKeyStore.inMemory();
      byte[] value;
      try (FieldEncryptor writer = FieldEncryptor.builder().masterKey(key).dataKeyStore(store).build()) {
        value = writer.encrypt(Implementation.randomBytes(PAYLOAD), Contexts.CONTEXT);
      }
      try (FieldEncryptor reader = FieldEncryptor.builder().masterKey(key).dataKeyStore(store).build()) {
        return countDuring(key::calls, into, off, () -> reader.decrypt(value, Contexts.CONTEXT));
      }
    });
  }

  /** The same encrypt storm against the AWS Encryption SDK's caching materials manager. */
  public Result esdkEncrypt(Duration latency, int rounds) throws Exception {
    return rounds("esdk cached encrypt", threads, latency, rounds, (n, lat, into, off) -> {
      SlowEsdkMasterKey key = new SlowEsdkMasterKey(lat);
      CryptoMaterialsManager cmm = CachingCryptoMaterialsManager.newBuilder()
          .withMasterKeyProvider(key)
          .withCache(new LocalCryptoMaterialsCache(1000))
          .withMaxAge(5, TimeUnit.MINUTES)
          .withMessageUseLimit(1L << 32)
          .build();
      AwsCrypto crypto = AwsCrypto.builder()
          .withCommitmentPolicy(CommitmentPolicy.RequireEncryptRequireDecrypt)
          .withEncryptionAlgorithm(CryptoAlgorithm.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
          .build();
      byte[] plaintext = Implementation.randomBytes(PAYLOAD);
      return countDuring(key::calls, into, off, () -> crypto.encryptData(cmm, plaintext, Contexts.PAIRS));
    });
  }

  public static void main(String[] args) throws Exception {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 64;
    Duration latency = Duration.ofMillis(args.length > 1 ? Long.parseLong(args[1]) : 20);
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 20;
    List<Result> envelope = new ArrayList<>();
    Result esdk;
    try (ColdCacheStorm storm = new ColdCacheStorm(threads)) {
      // One unmeasured storm each, so class loading and thread set-up do not land in the percentiles.
      storm.envelopeEncrypt(latency, 1);
      storm.envelopeDecrypt(latency, 1);
      storm.fieldEncrypt(latency, 1);
      storm.fieldDecrypt(latency, 1);
      storm.esdkEncrypt(latency, 1);
      envelope.add(storm.envelopeEncrypt(latency, rounds));
      envelope.add(storm.envelopeDecrypt(latency, rounds));
      envelope.add(storm.fieldEncrypt(latency, rounds));
      envelope.add(storm.fieldDecrypt(latency, rounds));
      esdk = storm.esdkEncrypt(latency, rounds);
    }
    System.out.println("cold-cache storm: " + threads + " threads, one key and context, master key sleeping "
        + latency.toMillis() + " ms per call, " + rounds + " storms each");
    envelope.forEach(System.out::println);
    System.out.println(esdk);
    boolean ok = true;
    for (Result r : envelope) {
      if (r.minCallsPerRound() != 1 || r.maxCallsPerRound() != 1) {
        System.out.println("FAIL: " + r.scenario() + " made other than exactly 1 master-key call per storm");
        ok = false;
      }
    }
    if (ok) {
      System.out.println("OK: every Envelope storm made exactly 1 master-key call");
    }
    System.exit(ok ? 0 : 1);
  }
}
