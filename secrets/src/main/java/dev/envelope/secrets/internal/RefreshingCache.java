package dev.envelope.secrets.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.envelope.core.EnvelopeException;
import dev.envelope.core.KmsException;
import dev.envelope.core.Ticker;
import dev.envelope.secrets.StaleSecretException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiPredicate;
import java.util.function.Function;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * The engine behind {@code CachingSecrets}: a per-key slot with its value, load time, last failure
 * and at most one load in flight.
 *
 * <p>For a value of age {@code a}:
 *
 * <ul>
 *   <li>{@code a < ttl - refreshAhead}: served.
 *   <li>{@code ttl - refreshAhead <= a < ttl}: served; a refresh is started on the executor unless one
 *       is in flight or the last one failed less than {@code retryInterval} ago.
 *   <li>{@code a >= ttl}, last refresh failed with a retryable error, {@code a < ttl + maxStale}:
 *       served stale; background retries as above.
 *   <li>{@code a >= ttl} otherwise: the caller waits for a load (joining one in flight). If that load
 *       fails retryably the stale value is served while {@code a < ttl + maxStale}, after that the
 *       caller gets {@link StaleSecretException}.
 * </ul>
 *
 * A non-retryable failure (not found, access denied) drops the value: deletion and revocation take
 * effect at the next refresh. Caffeine holds the slots: it bounds their number and drops slots not
 * read for {@code 2 * ttl + maxStale}, whose values could not be served anyway.
 */
public final class RefreshingCache<K, V> {
  private static final System.Logger LOG = System.getLogger("dev.envelope.secrets");

  /** Reads a value from its source; runs outside every lock. */
  @FunctionalInterface
  public interface Loader<K, V> {
    V load(K key);
  }

  /** Told when a load returns a value different from the one it replaces. */
  @FunctionalInterface
  public interface ChangeSink<K, V> {
    void changed(K key, V previous, V current);
  }

  private final Loader<K, V> loader;
  private final BiPredicate<V, V> same;
  private final ChangeSink<K, V> sink;
  private final Function<K, String> describe;
  private final Ticker ticker;
  private final Executor executor;
  private final long ttl;
  private final long refreshAhead;
  private final long maxStale;
  private final long retryInterval;
  private final Cache<K, Slot<V>> slots;

  private static final class Slot<V> {
    // All guarded by this.
    @Nullable V value;
    long loadedAt;
    boolean failedSinceLoad;
    @Nullable RuntimeException lastFailure;
    long lastFailureAt;
    @Nullable CompletableFuture<V> inFlight;
    long inFlightSeq;
    long startedLoads;
    @Nullable CompletableFuture<V> lastDone;
    long lastDoneSeq;

    CompletableFuture<V> start() {
      CompletableFuture<V> f = new CompletableFuture<>();
      inFlight = f;
      inFlightSeq = ++startedLoads;
      return f;
    }
  }

  public RefreshingCache(Loader<K, V> loader, BiPredicate<V, V> same, ChangeSink<K, V> sink,
      Function<K, String> describe, Ticker ticker, Executor executor, Duration ttl,
      Duration refreshAhead, Duration maxStale, Duration retryInterval, long maximumSize) {
    this.loader = Objects.requireNonNull(loader);
    this.same = Objects.requireNonNull(same);
    this.sink = Objects.requireNonNull(sink);
    this.describe = Objects.requireNonNull(describe);
    this.ticker = Objects.requireNonNull(ticker);
    this.executor = Objects.requireNonNull(executor);
    this.ttl = ttl.toNanos();
    this.refreshAhead = refreshAhead.toNanos();
    this.maxStale = maxStale.toNanos();
    this.retryInterval = retryInterval.toNanos();
    this.slots = Caffeine.newBuilder()
        .maximumSize(maximumSize)
        // A slot unread this long holds nothing servable; the extra ttl keeps a value that just
        // crossed maxStale long enough to report StaleSecretException rather than look cold.
        .expireAfterAccess(ttl.multipliedBy(2).plus(maxStale))
        .ticker(ticker::read)
        // Maintenance only (no loads run inside Caffeine), cheap enough for the calling thread.
        .executor(Runnable::run)
        .build();
  }

  private Slot<V> slot(K key) {
    return slots.get(key, k -> new Slot<>());
  }

  /** The cached value, or a loaded one when there is none that may be served. */
  public V get(K key) {
    Slot<V> s = slot(key);
    V serve = null;
    CompletableFuture<V> background = null;
    CompletableFuture<V> wait = null;
    boolean mine = false;
    synchronized (s) {
      long now = ticker.read();
      V v = s.value;
      if (v != null) {
        long age = now - s.loadedAt;
        if (age < ttl) {
          serve = v;
          if (age >= ttl - refreshAhead) {
            background = startBackground(s, now);
          }
        } else if (s.failedSinceLoad && age < ttl + maxStale) {
          serve = v;
          background = startBackground(s, now);
        } else if (s.failedSinceLoad && s.inFlight == null && now - s.lastFailureAt < retryInterval) {
          // Past maxStale with the store still failing: fail fast rather than queue every caller
          // behind another doomed call.
          throw stale(key, now - s.loadedAt, Objects.requireNonNull(s.lastFailure));
        }
      }
      if (serve == null) {
        if (s.inFlight != null) {
          wait = s.inFlight;
        } else {
          wait = s.start();
          mine = true;
        }
      }
    }
    if (background != null) {
      submit(key, s, background);
    }
    if (serve != null) {
      return serve;
    }
    if (mine) {
      load(key, s, wait, false);
    }
    return await(key, s, wait, true);
  }

  /**
   * A value loaded after this call began. Concurrent callers share one load; a load that was
   * already in flight when this call began is waited for but not trusted, since it may predate
   * the change the caller is reacting to.
   */
  public V refresh(K key) {
    Slot<V> s = slot(key);
    long mark;
    synchronized (s) {
      mark = s.startedLoads;
    }
    for (;;) {
      CompletableFuture<V> f;
      boolean mine = false;
      boolean joinable;
      synchronized (s) {
        if (s.inFlight == null && s.lastDone != null && s.lastDoneSeq > mark) {
          // A load that began after this call has already finished: its outcome is fresh enough.
          f = s.lastDone;
          joinable = true;
        } else if (s.inFlight == null) {
          f = s.start();
          mine = true;
          joinable = true;
        } else {
          f = s.inFlight;
          joinable = s.inFlightSeq > mark;
        }
      }
      if (mine) {
        load(key, s, f, false);
      }
      if (joinable) {
        return await(key, s, f, false);
      }
      awaitQuietly(key, f);
    }
  }

  public void invalidateIf(Predicate<K> which) {
    slots.asMap().keySet().removeIf(which);
  }

  public void invalidateAll() {
    slots.invalidateAll();
  }

  /** Under the slot's lock: a future for a background refresh, or null if none should start. */
  private @Nullable CompletableFuture<V> startBackground(Slot<V> s, long now) {
    if (s.inFlight != null || (s.failedSinceLoad && now - s.lastFailureAt < retryInterval)) {
      return null;
    }
    return s.start();
  }

  private void submit(K key, Slot<V> s, CompletableFuture<V> f) {
    try {
      executor.execute(() -> load(key, s, f, true));
    } catch (RejectedExecutionException e) {
      // The executor is shut down or saturated. Recording a failure would let a healthy store's
      // value go stale and finally fail; refreshing here costs this caller one store call instead.
      load(key, s, f, false);
    }
  }

  private void load(K key, Slot<V> s, CompletableFuture<V> f, boolean background) {
    long start = ticker.read();
    V v;
    try {
      v = loader.load(key);
      if (v == null) {
        throw new KmsException(describe.apply(key) + ": the secret store returned nothing", false);
      }
    } catch (RuntimeException e) {
      finish(key, s, f, null, typed(key, e), start, background);
      return;
    } catch (Error e) {
      finish(key, s, f, null, new KmsException(describe.apply(key) + " could not be read: "
          + e.getClass().getName(), false, e), start, background);
      throw e;
    }
    finish(key, s, f, v, null, start, background);
  }

  private void finish(K key, Slot<V> s, CompletableFuture<V> f, @Nullable V v,
      @Nullable RuntimeException err, long start, boolean background) {
    V previous = null;
    boolean changed = false;
    synchronized (s) {
      if (s.inFlight == f) {
        s.inFlight = null;
        s.lastDone = f;
        s.lastDoneSeq = s.inFlightSeq;
      }
      if (v != null) {
        previous = s.value;
        changed = previous != null && !same.test(previous, v);
        s.value = v;
        s.loadedAt = start;
        s.failedSinceLoad = false;
        s.lastFailure = null;
      } else {
        RuntimeException e = Objects.requireNonNull(err);
        s.lastFailure = e;
        s.lastFailureAt = ticker.read();
        if (isRetryable(e)) {
          s.failedSinceLoad = true;
        } else {
          s.value = null;
          s.failedSinceLoad = false;
        }
      }
    }
    if (v != null) {
      f.complete(v);
      if (changed) {
        sink.changed(key, Objects.requireNonNull(previous), v);
      }
    } else {
      f.completeExceptionally(Objects.requireNonNull(err));
      if (background) {
        LOG.log(Level.WARNING, () -> "background refresh of " + describe.apply(key) + " failed: "
            + err.getClass().getName() + (err instanceof EnvelopeException ? ": " + err.getMessage() : ""));
      }
    }
  }

  private V await(K key, Slot<V> s, CompletableFuture<V> f, boolean serveStale) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KmsException("interrupted while waiting for " + describe.apply(key), true, e);
    } catch (ExecutionException e) {
      RuntimeException failure = (RuntimeException) e.getCause();
      if (serveStale) {
        synchronized (s) {
          if (s.value != null) {
            long age = ticker.read() - s.loadedAt;
            if (age < ttl + maxStale) {
              return s.value;
            }
            throw stale(key, age, failure);
          }
        }
      }
      throw failure;
    }
  }

  private void awaitQuietly(K key, CompletableFuture<V> f) {
    try {
      f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new KmsException("interrupted while waiting for " + describe.apply(key), true, e);
    } catch (ExecutionException e) {
      // Only its completion mattered.
    }
  }

  private StaleSecretException stale(K key, long ageNanos, RuntimeException cause) {
    return new StaleSecretException(describe.apply(key) + " could not be refreshed and its cached value is "
        + Duration.ofNanos(ageNanos).toSeconds() + " s old, past ttl + maxStale", cause);
  }

  /** Envelope's exceptions pass as they are; anything else is an unexpected, retryable store failure. */
  private RuntimeException typed(K key, RuntimeException e) {
    if (e instanceof EnvelopeException) {
      return e;
    }
    // Foreign messages are not guaranteed free of secret material: the class name only.
    return new KmsException(describe.apply(key) + " could not be read: " + e.getClass().getName(), true, e);
  }

  static boolean isRetryable(RuntimeException e) {
    return e instanceof KmsException k && k.isRetryable();
  }
}
