package dev.envelope.secrets;

import dev.envelope.core.Ticker;
import dev.envelope.secrets.internal.RefreshingCache;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A rotation-aware cache in front of a {@link SecretStore}. Thread-safe.
 *
 * <pre>{@code
 * CachingSecrets secrets = CachingSecrets.builder().store(store).ttl(Duration.ofMinutes(5))
 *     .refreshAhead(Duration.ofMinutes(1)).maxStale(Duration.ofHours(1)).build();
 * SecretValue v = secrets.get("prod/db");
 * }</pre>
 *
 * <p>Each (name, {@link Version}) is cached on its own. For a value of age {@code a}:
 *
 * <ul>
 *   <li>{@code a < ttl - refreshAhead}: returned, no store call.
 *   <li>{@code ttl - refreshAhead <= a < ttl}: returned at once; a refresh runs on the executor. A
 *       secret read at least once per {@code refreshAhead} is therefore never loaded on a caller's
 *       thread after its first load.
 *   <li>{@code a >= ttl}: if the last refresh failed with a retryable error and
 *       {@code a < ttl + maxStale}, the stale value is returned at once and the refresh retried in
 *       the background (at most once per {@code retryInterval}). Otherwise the caller waits for a
 *       load; if it fails retryably the stale value is returned while {@code a < ttl + maxStale},
 *       after that {@link StaleSecretException} is thrown.
 * </ul>
 *
 * <p>Loads are single-flight: any number of threads missing or refreshing the same secret share one
 * store call. Not found and access denied are authoritative: they drop the cached value, so deleting
 * or revoking a secret takes effect at the next refresh. Foreign exceptions from a store become
 * retryable {@link dev.envelope.core.KmsException}s.
 */
public final class CachingSecrets implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.envelope.secrets");

  private record Key(String name, Version version) {}

  /** A registration from {@link #onChange}; {@link #close()} removes it. */
  public interface Subscription extends AutoCloseable {
    @Override
    void close();
  }

  private final SecretStore store;
  private final RefreshingCache<Key, SecretValue> cache;
  private final Map<Key, List<SecretChangeListener>> listeners = new ConcurrentHashMap<>();
  private final @Nullable ExecutorService ownedExecutor;

  private CachingSecrets(Builder b, SecretStore store, Executor executor,
      @Nullable ExecutorService owned, Duration refreshAhead, Duration maxStale) {
    this.store = store;
    this.ownedExecutor = owned;
    this.cache = new RefreshingCache<>(
        k -> store.get(k.name(), k.version()),
        SecretValue::sameValue,
        this::notifyListeners,
        k -> "secret '" + k.name() + "' (" + k.version() + ")",
        b.ticker, executor, b.ttl, refreshAhead, maxStale, b.retryInterval, b.maximumSize);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The current version; see the class comment for when the store is called. */
  public SecretValue get(String name) {
    return get(name, Version.current());
  }

  /** One version, e.g. {@code Version.pending()} during a rotation. Cached like the current one. */
  public SecretValue get(String name, Version version) {
    return cache.get(key(name, version));
  }

  /**
   * Reads the current version from the store now, e.g. after the database rejected the cached
   * password, and caches it. Concurrent calls share a store call started after they began.
   */
  public SecretValue refreshNow(String name) {
    return refreshNow(name, Version.current());
  }

  /** Like {@link #refreshNow(String)} for one version. */
  public SecretValue refreshNow(String name, Version version) {
    return cache.refresh(key(name, version));
  }

  /** The store's version list, uncached. */
  public List<VersionInfo> versions(String name) {
    return store.versions(name);
  }

  /** Calls {@code listener} whenever a refresh finds a new current version or value of {@code name}. */
  public Subscription onChange(String name, SecretChangeListener listener) {
    return onChange(name, Version.current(), listener);
  }

  /** Like {@link #onChange(String, SecretChangeListener)} for one version (e.g. pending). */
  public Subscription onChange(String name, Version version, SecretChangeListener listener) {
    Objects.requireNonNull(listener, "listener");
    Key key = key(name, version);
    listeners.computeIfAbsent(key, k -> new CopyOnWriteArrayList<>()).add(listener);
    return () -> listeners.computeIfPresent(key, (k, list) -> {
      list.remove(listener);
      return list.isEmpty() ? null : list;
    });
  }

  /** Drops every cached version of {@code name}; the next {@code get} loads. */
  public void invalidate(String name) {
    Objects.requireNonNull(name, "name");
    cache.invalidateIf(k -> k.name().equals(name));
  }

  public void invalidateAll() {
    cache.invalidateAll();
  }

  public SecretStore store() {
    return store;
  }

  /**
   * Stops the refresh threads this cache created (not an executor passed to the builder). The cache
   * stays usable: refreshes then run on the threads of callers that read a secret in its refresh
   * window. The same happens whenever the executor rejects a refresh.
   */
  @Override
  public void close() {
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
    }
  }

  private Key key(String name, Version version) {
    Objects.requireNonNull(name, "name");
    return new Key(name, Objects.requireNonNull(version, "version"));
  }

  private void notifyListeners(Key key, SecretValue previous, SecretValue current) {
    List<SecretChangeListener> list = listeners.get(key);
    if (list == null) {
      return;
    }
    for (SecretChangeListener l : list) {
      try {
        l.onChange(previous, current);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, () -> "change listener " + l.getClass().getName() + " for secret '"
            + key.name() + "' threw " + e.getClass().getName());
      }
    }
  }

  /** Settings for {@link CachingSecrets}; every one has a bounded default except the store. */
  public static final class Builder {
    private static final Duration MAX_DURATION = Duration.ofDays(365);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private @Nullable SecretStore store;
    private Duration ttl = Duration.ofMinutes(5);
    private @Nullable Duration refreshAhead;
    private @Nullable Duration maxStale;
    private Duration retryInterval = Duration.ofSeconds(5);
    private long maximumSize = 10_000;
    private @Nullable Executor executor;
    private Ticker ticker = Ticker.system();

    private Builder() {}

    /** Required. */
    public Builder store(SecretStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /** How long a value is served without a successful refresh while the store is healthy. Default 5 minutes. */
    public Builder ttl(Duration ttl) {
      this.ttl = positive(ttl, "ttl");
      return this;
    }

    /**
     * How long before {@code ttl} a read starts a background refresh; less than {@code ttl}, may be
     * zero (no refresh ahead). Default {@code ttl / 5}.
     */
    public Builder refreshAhead(Duration refreshAhead) {
      this.refreshAhead = nonNegative(refreshAhead, "refreshAhead");
      return this;
    }

    /**
     * How long past {@code ttl} a value is still served while refreshes fail with retryable errors.
     * Zero serves nothing past {@code ttl}. Default: {@code ttl}.
     */
    public Builder maxStale(Duration maxStale) {
      this.maxStale = nonNegative(maxStale, "maxStale");
      return this;
    }

    /** Least time between refresh attempts after a failed one. Default 5 seconds. */
    public Builder retryInterval(Duration retryInterval) {
      this.retryInterval = positive(retryInterval, "retryInterval");
      return this;
    }

    /** Most (name, version) pairs kept. Default 10 000. */
    public Builder maximumSize(long maximumSize) {
      if (maximumSize <= 0) {
        throw new IllegalArgumentException("maximumSize must be positive");
      }
      this.maximumSize = maximumSize;
      return this;
    }

    /**
     * Where background refreshes run. Store calls block, so not the common fork-join pool. Default:
     * up to 4 daemon threads owned by the cache.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** Time source for every age; tests pass a fake. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /**
     * @throws IllegalStateException if no store was set
     * @throws IllegalArgumentException if {@code refreshAhead >= ttl}
     */
    public CachingSecrets build() {
      if (store == null) {
        throw new IllegalStateException("store is required");
      }
      Duration ahead = refreshAhead != null ? refreshAhead : ttl.dividedBy(5);
      if (ahead.compareTo(ttl) >= 0) {
        throw new IllegalArgumentException("refreshAhead must be less than ttl");
      }
      Duration stale = maxStale != null ? maxStale : ttl;
      Executor exec = executor;
      ExecutorService owned = null;
      if (exec == null) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(4, 4, 60, TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), r -> {
              Thread t = new Thread(r, "envelope-secrets-refresh-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
        pool.allowCoreThreadTimeOut(true);
        exec = owned = pool;
      }
      return new CachingSecrets(this, store, exec, owned, ahead, stale);
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero() || d.compareTo(MAX_DURATION) > 0) {
        throw new IllegalArgumentException(what + " must be positive and at most 365 days");
      }
      return d;
    }

    private static Duration nonNegative(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.compareTo(MAX_DURATION) > 0) {
        throw new IllegalArgumentException(what + " must be zero or positive and at most 365 days");
      }
      return d;
    }
  }
}
