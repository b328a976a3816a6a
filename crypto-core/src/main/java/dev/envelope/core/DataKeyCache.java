package dev.envelope.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Bounded cache of plaintext data keys, so most encryptions and decryptions make no KMS call.
 *
 * <p>Encrypt side: one data key per (envelope, encryption context), reused until it reaches its
 * maximum age, message count or byte count; then the next message gets a new one. Decrypt side:
 * unwrapped data keys by (envelope, wrapped key, context). Single-flight: threads missing the same
 * key wait for one master-key call. Plaintext keys are zeroed on eviction and on {@link #close()}
 * (best effort on the JVM) and never while a thread is still using them.
 *
 * <p>Every limit has a bounded default; there is no unbounded cache. A cache may be shared by
 * several {@link Envelope}s; their entries never mix.
 */
public final class DataKeyCache implements AutoCloseable {
  private final long maxMessagesPerKey;
  private final long maxBytesPerKey;
  private final Cache<EncryptSlot, CachedKey> encrypt;
  private final Cache<DecryptSlot, CachedKey> decrypt;
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
      CachedKey key = encrypt.get(slot, s -> {
        lookup.loaded = true;
        return loader.get();
      });
      if (!key.tryAcquire()) {
        encrypt.asMap().remove(slot, key);
        continue;
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
    }
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
      CachedKey key = decrypt.get(slot, s -> {
        lookup.loaded = true;
        return loader.get();
      });
      if (key.tryAcquire()) {
        (lookup.loaded ? misses : hits).increment();
        return key;
      }
      decrypt.asMap().remove(slot, key);
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
