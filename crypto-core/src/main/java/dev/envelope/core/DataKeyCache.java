package dev.envelope.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Bounded cache of plaintext data keys, so most encryptions and decryptions make no KMS call.
 *
 * <p>Encrypt side: one data key per (envelope, encryption context), reused until it reaches its
 * maximum age, message count or byte count; then the next message gets a new one. Decrypt side:
 * unwrapped data keys by (envelope, wrapped key, context). Single-flight: callers missing the same
 * key wait for one master-key call and share its outcome, a failure included, whether they are
 * synchronous (they block) or async (they get a future and hold no thread), in any mix. Plaintext keys are zeroed on eviction and on
 * {@link #close()} (best effort on the JVM) and never while a caller is still using them.
 *
 * <p>Every limit has a bounded default; there is no unbounded cache. A cache may be shared by
 * several {@link Envelope}s; their entries never mix.
 */
public final class DataKeyCache implements AutoCloseable {
  private final long maxMessagesPerKey;
  private final long maxBytesPerKey;
  private final Cache<EncryptSlot, CachedKey> encrypt;
  private final Cache<DecryptSlot, CachedKey> decrypt;
  /**
   * Loads in progress, one per slot: the single flight. Kept beside the Caffeine caches, which hold
   * finished keys only, so a load runs without holding a cache lock and async callers can wait on
   * it without a thread.
   */
  private final Loads<EncryptSlot> encryptLoads;
  private final Loads<DecryptSlot> decryptLoads;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder evictions = new LongAdder();

  private DataKeyCache(Builder b) {
    this.maxMessagesPerKey = b.maxMessagesPerKey;
    this.maxBytesPerKey = b.maxBytesPerKey;
    Ticker ticker = b.ticker;
    this.encrypt = Caffeine.newBuilder()
        .maximumSize(b.maximumSize)
        .expireAfterWrite(b.maxAge)
        .ticker(ticker::read)
        .executor(Runnable::run)
        .removalListener((EncryptSlot k, CachedKey v, RemovalCause cause) -> onRemoval(v))
        .build();
    this.decrypt = Caffeine.newBuilder()
        .maximumSize(b.maximumSize)
        .expireAfterWrite(b.maxAge)
        .ticker(ticker::read)
        .executor(Runnable::run)
        .removalListener((DecryptSlot k, CachedKey v, RemovalCause cause) -> onRemoval(v))
        .build();
    this.encryptLoads = new Loads<>(encrypt);
    this.decryptLoads = new Loads<>(decrypt);
  }

  private void onRemoval(CachedKey v) {
    if (v != null) {
      evictions.increment();
      v.evict();
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Counters since creation. */
  public record Stats(long hits, long misses, long evictions, long encryptKeys, long decryptKeys) {}

  public Stats stats() {
    encrypt.cleanUp();
    decrypt.cleanUp();
    return new Stats(hits.sum(), misses.sum(), evictions.sum(), encrypt.estimatedSize(), decrypt.estimatedSize());
  }

  /** Drops and zeroes every cached key. */
  public void invalidateAll() {
    encrypt.invalidateAll();
    decrypt.invalidateAll();
    encrypt.cleanUp();
    decrypt.cleanUp();
  }

  /** Runs pending expiry and size evictions now (they otherwise run during cache use). */
  public void cleanUp() {
    encrypt.cleanUp();
    decrypt.cleanUp();
  }

  @Override
  public void close() {
    invalidateAll();
  }

  long maxMessagesPerKey() {
    return maxMessagesPerKey;
  }

  long maxBytesPerKey() {
    return maxBytesPerKey;
  }

  void invalidateOwner(Object owner) {
    encrypt.asMap().keySet().removeIf(k -> k.owner == owner);
    decrypt.asMap().keySet().removeIf(k -> k.owner == owner);
    cleanUp();
  }

  /** Outcome of a lookup, for listener events. */
  static final class Lookup {
    boolean loaded;
  }

  /**
   * An acquired encrypt key with {@code plaintextBytes} accounted for; the caller must
   * {@link CachedKey#release()} it. A key that reached a limit is retired from the cache so the
   * next caller gets a new one; a single message larger than the byte limit uses a fresh key alone.
   */
  CachedKey acquireForEncrypt(Object owner, EncryptionContext ctx, long plaintextBytes,
      Supplier<CachedKey> loader, Lookup lookup) {
    EncryptSlot slot = new EncryptSlot(owner, ctx);
    for (;;) {
      CachedKey key = takeForEncrypt(slot, encryptLoads.get(slot, loader, lookup), plaintextBytes, lookup);
      if (key != null) {
        return key;
      }
    }
  }

  /**
   * {@link #acquireForEncrypt} for async callers: on a miss the loader's future is awaited without a
   * thread. The returned future completes on a thread of {@code executor}, or on this thread when
   * the key is cached; it fails with the loader's exception itself.
   */
  CompletableFuture<CachedKey> acquireForEncryptAsync(Object owner, EncryptionContext ctx, long plaintextBytes,
      Supplier<CompletableFuture<CachedKey>> loader, Lookup lookup, Executor executor) {
    EncryptSlot slot = new EncryptSlot(owner, ctx);
    CompletableFuture<CachedKey> out = new CompletableFuture<>();
    new AsyncAcquire<>(encryptLoads, slot, loader, lookup, executor, out,
        key -> takeForEncrypt(slot, key, plaintextBytes, lookup)).run();
    return out;
  }

  /**
   * The limit rules for one message: the acquired key, or null when it was evicted or is used up
   * (then the caller looks again and finds, or loads, the next key).
   */
  private CachedKey takeForEncrypt(EncryptSlot slot, CachedKey key, long plaintextBytes, Lookup lookup) {
    if (!key.tryAcquire()) {
      encrypt.asMap().remove(slot, key);
      return null;
    }
    long m = key.messages.incrementAndGet();
    long b = key.bytes.addAndGet(plaintextBytes);
    // An oversize message may take a key only if it is the key's sole message: m == 1 alone is
    // not enough, because the two counters move separately and another thread may have counted
    // its message after ours but its bytes before ours (b then includes both).
    boolean alone = m == 1 && b == plaintextBytes;
    boolean withinLimits = m <= maxMessagesPerKey && (b <= maxBytesPerKey || alone);
    if (!withinLimits || m >= maxMessagesPerKey || b >= maxBytesPerKey) {
      encrypt.asMap().remove(slot, key);
    }
    if (withinLimits) {
      (lookup.loaded ? misses : hits).increment();
      return key;
    }
    key.release();
    return null;
  }

  /** Accounts bytes written later (streams); retires the key once over its byte limit. */
  void addBytes(Object owner, EncryptionContext ctx, CachedKey key, long n) {
    if (key.bytes.addAndGet(n) >= maxBytesPerKey) {
      encrypt.asMap().remove(new EncryptSlot(owner, ctx), key);
    }
  }

  CachedKey acquireForDecrypt(Object owner, WrappedKey wrapped, EncryptionContext ctx,
      Supplier<CachedKey> loader, Lookup lookup) {
    DecryptSlot slot = new DecryptSlot(owner, wrapped, ctx);
    for (;;) {
      CachedKey key = takeForDecrypt(slot, decryptLoads.get(slot, loader, lookup), lookup);
      if (key != null) {
        return key;
      }
    }
  }

  /** {@link #acquireForDecrypt} for async callers, completing as {@link #acquireForEncryptAsync} does. */
  CompletableFuture<CachedKey> acquireForDecryptAsync(Object owner, WrappedKey wrapped, EncryptionContext ctx,
      Supplier<CompletableFuture<CachedKey>> loader, Lookup lookup, Executor executor) {
    DecryptSlot slot = new DecryptSlot(owner, wrapped, ctx);
    CompletableFuture<CachedKey> out = new CompletableFuture<>();
    new AsyncAcquire<>(decryptLoads, slot, loader, lookup, executor, out, key -> takeForDecrypt(slot, key, lookup)).run();
    return out;
  }

  private CachedKey takeForDecrypt(DecryptSlot slot, CachedKey key, Lookup lookup) {
    if (key.tryAcquire()) {
      (lookup.loaded ? misses : hits).increment();
      return key;
    }
    decrypt.asMap().remove(slot, key);
    return null;
  }

  /**
   * The single flight of one side. A load is published to the cache before its future completes
   * and before it leaves {@link #inFlight}, so a caller that misses the cache either finds the load
   * in flight or, having won the slot in {@link #inFlight}, finds its key in the cache on a second
   * look; either way there is one master-key call per slot. Waiters share the leader's result,
   * failure included.
   */
  private static final class Loads<S> {
    final Cache<S, CachedKey> cache;
    final ConcurrentHashMap<S, CompletableFuture<CachedKey>> inFlight = new ConcurrentHashMap<>();

    Loads(Cache<S, CachedKey> cache) {
      this.cache = cache;
    }

    /** The cached key, or the key of the load this caller runs or waits for (not yet acquired). */
    CachedKey get(S slot, Supplier<CachedKey> loader, Lookup lookup) {
      CachedKey key = cache.getIfPresent(slot);
      if (key != null) {
        return key;
      }
      CompletableFuture<CachedKey> mine = new CompletableFuture<>();
      CompletableFuture<CachedKey> theirs = inFlight.putIfAbsent(slot, mine);
      if (theirs != null) {
        return Futures.await(theirs);
      }
      key = cache.getIfPresent(slot);
      if (key != null) {
        inFlight.remove(slot, mine);
        mine.complete(key);
        return key;
      }
      lookup.loaded = true;
      CachedKey loaded;
      try {
        loaded = loader.get();
      } catch (Throwable t) {
        fail(slot, mine, t);
        throw t;
      }
      return publish(slot, mine, loaded);
    }

    /** Like {@link #get}, but a miss returns the load's future instead of waiting for it. */
    CompletableFuture<CachedKey> getAsync(S slot, Supplier<CompletableFuture<CachedKey>> loader, Lookup lookup) {
      CachedKey key = cache.getIfPresent(slot);
      if (key != null) {
        return CompletableFuture.completedFuture(key);
      }
      CompletableFuture<CachedKey> mine = new CompletableFuture<>();
      CompletableFuture<CachedKey> theirs = inFlight.putIfAbsent(slot, mine);
      if (theirs != null) {
        return theirs;
      }
      key = cache.getIfPresent(slot);
      if (key != null) {
        inFlight.remove(slot, mine);
        mine.complete(key);
        return mine;
      }
      lookup.loaded = true;
      Futures.start(loader).whenComplete((loaded, error) -> {
        if (error != null) {
          fail(slot, mine, Futures.unwrap(error));
        } else {
          publish(slot, mine, loaded);
        }
      });
      return mine;
    }

    private CachedKey publish(S slot, CompletableFuture<CachedKey> mine, CachedKey loaded) {
      CachedKey present = cache.asMap().putIfAbsent(slot, loaded);
      CachedKey result = loaded;
      if (present != null) {
        // Only loads through inFlight fill the cache, so this should not happen; if it does, one
        // key per slot still holds and the unused one is zeroed now.
        loaded.evict();
        result = present;
      }
      inFlight.remove(slot, mine);
      mine.complete(result);
      return result;
    }

    private void fail(S slot, CompletableFuture<CachedKey> mine, Throwable error) {
      inFlight.remove(slot, mine);
      mine.completeExceptionally(error);
    }
  }

  /**
   * One async acquisition: look up or load, then apply the side's limit rules ({@code take}); when
   * those refuse the key (evicted, used up) look again. Waiting happens without a thread; the
   * continuation of a wait runs on the executor, so each waiter's caller proceeds in its own task
   * rather than all of them on the thread that finished the load.
   */
  private static final class AsyncAcquire<S> implements Runnable {
    private final Loads<S> loads;
    private final S slot;
    private final Supplier<CompletableFuture<CachedKey>> loader;
    private final Lookup lookup;
    private final Executor executor;
    private final CompletableFuture<CachedKey> out;
    private final Function<CachedKey, CachedKey> take;

    AsyncAcquire(Loads<S> loads, S slot, Supplier<CompletableFuture<CachedKey>> loader, Lookup lookup,
        Executor executor, CompletableFuture<CachedKey> out, Function<CachedKey, CachedKey> take) {
      this.loads = loads;
      this.slot = slot;
      this.loader = loader;
      this.lookup = lookup;
      this.executor = executor;
      this.out = out;
      this.take = take;
    }

    @Override
    public void run() {
      for (;;) {
        CompletableFuture<CachedKey> f;
        try {
          f = loads.getAsync(slot, loader, lookup);
        } catch (Throwable t) {
          out.completeExceptionally(t);
          return;
        }
        if (!f.isDone()) {
          f.whenComplete((k, e) -> Futures.execute(executor, () -> {
            if (finish(f)) {
              run();
            }
          }, out::completeExceptionally));
          return;
        }
        if (!finish(f)) {
          return;
        }
      }
    }

    /** Completes {@code out} from a finished load; true when the key was refused and we look again. */
    private boolean finish(CompletableFuture<CachedKey> f) {
      CachedKey taken;
      try {
        taken = take.apply(Futures.await(f));
      } catch (Throwable t) {
        out.completeExceptionally(t);
        return false;
      }
      if (taken == null) {
        return true;
      }
      out.complete(taken);
      return false;
    }
  }

  private static final class EncryptSlot {
    final Object owner;
    final EncryptionContext ctx;
    final int hash;

    EncryptSlot(Object owner, EncryptionContext ctx) {
      this.owner = owner;
      this.ctx = ctx;
      this.hash = System.identityHashCode(owner) * 31 + ctx.hashCode();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof EncryptSlot s && s.owner == owner && s.ctx.equals(ctx);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  private static final class DecryptSlot {
    final Object owner;
    final WrappedKey wrapped;
    final EncryptionContext ctx;
    final int hash;

    DecryptSlot(Object owner, WrappedKey wrapped, EncryptionContext ctx) {
      this.owner = owner;
      this.wrapped = wrapped;
      this.ctx = ctx;
      this.hash = (System.identityHashCode(owner) * 31 + wrapped.hashCode()) * 31 + ctx.hashCode();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof DecryptSlot s && s.owner == owner && s.wrapped.equals(wrapped) && s.ctx.equals(ctx);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  public static final class Builder {
    private Duration maxAge = Duration.ofMinutes(5);
    private long maxMessagesPerKey = 1L << 32;
    private long maxBytesPerKey = 1L << 40;
    private long maximumSize = 1000;
    private Ticker ticker = Ticker.system();

    private Builder() {}

    /** How long a data key is used and kept; default 5 minutes. */
    public Builder maxAge(Duration maxAge) {
      Objects.requireNonNull(maxAge, "maxAge");
      if (maxAge.isNegative() || maxAge.isZero() || maxAge.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException("maxAge must be > 0 and at most 1 day");
      }
      this.maxAge = maxAge;
      return this;
    }

    /** Messages encrypted under one data key before a new one is made; default 2^32. */
    public Builder maxMessagesPerKey(long n) {
      if (n < 1 || n > (1L << 32)) {
        throw new IllegalArgumentException("maxMessagesPerKey must be 1..2^32");
      }
      this.maxMessagesPerKey = n;
      return this;
    }

    /** Plaintext bytes encrypted under one data key before a new one is made; default 2^40. */
    public Builder maxBytesPerKey(long n) {
      if (n < 1 || n > (1L << 50)) {
        throw new IllegalArgumentException("maxBytesPerKey must be 1..2^50");
      }
      this.maxBytesPerKey = n;
      return this;
    }

    /** Cached data keys per side (encrypt, decrypt); default 1000. */
    public Builder maximumSize(long n) {
      if (n < 1 || n > 10_000_000) {
        throw new IllegalArgumentException("maximumSize must be 1..10,000,000");
      }
      this.maximumSize = n;
      return this;
    }

    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    public DataKeyCache build() {
      return new DataKeyCache(this);
    }
  }

  @Override
  public String toString() {
    return "DataKeyCache" + Arrays.asList(encrypt.estimatedSize(), decrypt.estimatedSize());
  }
}
