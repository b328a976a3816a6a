package dev.envelope.core;

import dev.envelope.core.internal.Gcm;
import dev.envelope.core.internal.MessageFormat;
import dev.envelope.core.internal.MessageFormat.Header;
import dev.envelope.core.internal.MessageFormat.MalformedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.spec.SecretKeySpec;

/**
 * Envelope encryption: a data key from the master keys (or the cache), AES-256-GCM locally, one
 * self-describing ciphertext (docs/format.md §3–§5) that any one of the master keys can decrypt.
 *
 * <pre>{@code
 * Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(DataKeyCache.builder().build()).build();
 * byte[] ct = env.encrypt(plaintext, EncryptionContext.of("tenant", "42"));
 * byte[] pt = env.decrypt(ct, EncryptionContext.of("tenant", "42"));
 * }</pre>
 *
 * <p>Decryption is strict: only the master keys given to the builder (and
 * {@link Builder#alsoDecryptWith}) are ever asked to unwrap, so a ciphertext naming another key
 * makes no KMS call. Immutable and thread-safe; streams are not thread-safe.
 */
public final class Envelope implements AutoCloseable {
  private final List<MasterKey> masterKeys;
  private final List<MasterKey> decryptKeys;
  private final DataKeyCache cache;
  private final int segmentSize;
  private final KeyUsageListener listener;
  private final Executor executor;
  private final ExecutorService ownedExecutor;
  /**
   * The (empty) input of the header tag computation. Not the output array itself: JDK 17's GCM
   * treats input == output as overlap and copies the whole output array, which for a 1 MiB
   * message is a 1 MiB allocation and copy just to authenticate the header.
   */
  private static final byte[] NO_INPUT = new byte[0];
  /** Identity of this envelope's entries in a shared cache. */
  private final Object owner = new Object();

  private Envelope(Builder b) {
    this.masterKeys = List.copyOf(b.masterKeys);
    List<MasterKey> d = new ArrayList<>(b.masterKeys);
    d.addAll(b.decryptOnly);
    this.decryptKeys = List.copyOf(d);
    this.cache = b.cache;
    this.segmentSize = b.segmentSize;
    this.listener = b.listener;
    if (b.executor != null) {
      this.executor = b.executor;
      this.ownedExecutor = null;
    } else {
      this.ownedExecutor = Executors.newCachedThreadPool(new DaemonThreads());
      this.executor = ownedExecutor;
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The master keys that wrap new data keys, in builder order. */
  public List<KeyRef> masterKeyRefs() {
    return masterKeys.stream().map(MasterKey::ref).toList();
  }

  // ---------------------------------------------------------------- encrypt

  /** Encrypts {@code plaintext} bound to {@code context}. */
  public byte[] encrypt(byte[] plaintext, EncryptionContext context) {
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(context, "context");
    long bodyLength = MessageFormat.bodyLength(plaintext.length, segmentSize);
    Materials m = acquire(context, plaintext.length);
    try {
      return seal(plaintext, bodyLength, m);
    } finally {
      m.release();
    }
  }

  /** §3–§5: the whole message for {@code plaintext} under {@code m}. */
  private byte[] seal(byte[] plaintext, long bodyLength, Materials m) {
    int headerLength = MessageFormat.headerLength(m.headerMiddle.length);
    if (headerLength + bodyLength > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("plaintext too large for a byte array; use encryptingStream");
    }
    byte[] out = new byte[(int) (headerLength + bodyLength)];
    SecretKeySpec contentKey = writeHeader(out, m);
    int pos = headerLength;
    int offset = 0;
    long index = 0;
    for (;;) {
      int remaining = plaintext.length - offset;
      boolean last = remaining < segmentSize;
      int n = last ? remaining : segmentSize;
      Gcm.encrypt(contentKey, MessageFormat.nonce(last ? MessageFormat.FLAG_FINAL_SEGMENT : MessageFormat.FLAG_SEGMENT, index),
          null, 0, 0, plaintext, offset, n, out, pos);
      pos += n + Gcm.TAG_LENGTH;
      offset += n;
      index++;
      if (last) {
        break;
      }
    }
    return out;
  }

  /** Streams an encryption of everything written into {@code sink}; close it to finish the message. */
  public OutputStream encryptingStream(OutputStream sink, EncryptionContext context) {
    Objects.requireNonNull(sink, "sink");
    Objects.requireNonNull(context, "context");
    Materials m = acquire(context, 0);
    try {
      byte[] header = new byte[MessageFormat.headerLength(m.headerMiddle.length)];
      SecretKeySpec contentKey = writeHeader(header, m);
      sink.write(header);
      Materials owned = m;
      m = null;
      return new EncryptingOutputStream(sink, contentKey, segmentSize, n -> owned.addBytes(context, n), owned::release);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (m != null) {
        m.release();
      }
    }
  }

  /**
   * {@link #encrypt} without blocking the caller or any thread on KMS I/O. A cached data key is used
   * as {@link #encrypt} uses it; on a miss the primary master key's
   * {@link MasterKey#generateDataKeyAsync} (and {@link MasterKey#wrapAsync} of the others) is
   * called, and concurrent misses for one context, async or not, share that one call. Envelope's own
   * work (the AES, the header, listener events) runs on this envelope's
   * {@linkplain Builder#executor executor}, never on a KMS client's threads, and the future is
   * completed there. It fails with the exception {@link #encrypt} would throw, itself (so
   * {@code get()} reports it as the cause), or with {@code RejectedExecutionException} once the
   * executor takes no more work.
   */
  public CompletableFuture<byte[]> encryptAsync(byte[] plaintext, EncryptionContext context) {
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(context, "context");
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    Futures.execute(executor, () -> {
      long bodyLength;
      try {
        bodyLength = MessageFormat.bodyLength(plaintext.length, segmentSize);
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
        return;
      }
      acquireAsync(context, plaintext.length).whenComplete((m, error) -> {
        if (error != null) {
          result.completeExceptionally(Futures.unwrap(error));
          return;
        }
        try {
          result.complete(seal(plaintext, bodyLength, m));
        } catch (Throwable t) {
          result.completeExceptionally(t);
        } finally {
          m.release();
        }
      });
    }, result::completeExceptionally);
    return result;
  }

  /** §3/§4: writes the header for a fresh message id and returns the content key. */
  private SecretKeySpec writeHeader(byte[] out, Materials m) {
    byte[] messageId = new byte[MessageFormat.MESSAGE_ID_LENGTH];
    Gcm.publicRandomBytes(messageId);
    int commitmentOffset = MessageFormat.writeHeaderPrefix(out, messageId, m.headerMiddle);
    byte[] okm = Gcm.hkdfExpand(m.dataKey.unsafeBytes(),
        MessageFormat.kdfInfo(MessageFormat.SUITE_AES256_GCM_HKDF_COMMIT, messageId, 0), 64);
    try {
      SecretKeySpec contentKey = new SecretKeySpec(okm, 0, 32, "AES");
      System.arraycopy(okm, 32, out, commitmentOffset, MessageFormat.COMMITMENT_LENGTH);
      int tagOffset = commitmentOffset + MessageFormat.COMMITMENT_LENGTH;
      Gcm.encrypt(contentKey, MessageFormat.nonce(MessageFormat.FLAG_HEADER, 0), out, 0, tagOffset,
          NO_INPUT, 0, 0, out, tagOffset);
      return contentKey;
    } finally {
      Arrays.fill(okm, (byte) 0);
    }
  }

  /** A data key, its header middle section, and how to give it back. */
  private final class Materials {
    final SecretBytes dataKey;
    final byte[] headerMiddle;
    final CachedKey cached;

    Materials(SecretBytes dataKey, byte[] headerMiddle, CachedKey cached) {
      this.dataKey = dataKey;
      this.headerMiddle = headerMiddle;
      this.cached = cached;
    }

    void addBytes(EncryptionContext ctx, long n) {
      if (cached != null) {
        cache.addBytes(owner, ctx, cached, n);
      }
    }

    void release() {
      if (cached != null) {
        cached.release();
      } else {
        dataKey.destroy();
      }
    }
  }

  private Materials acquire(EncryptionContext context, long plaintextBytes) {
    if (cache == null) {
      CachedKey fresh = newDataKey(context);
      return new Materials(fresh.dataKey, fresh.headerMiddle, null);
    }
    DataKeyCache.Lookup lookup = new DataKeyCache.Lookup();
    CachedKey key = cache.acquireForEncrypt(owner, context, plaintextBytes, () -> newDataKey(context), lookup);
    emitEncryptLookup(lookup, context);
    return new Materials(key.dataKey, key.headerMiddle, key);
  }

  /**
   * {@link #acquire} on the async SPI. Completes on an executor thread, or on this thread when the
   * key is cached; either way the caller's next stage runs on the executor.
   */
  private CompletableFuture<Materials> acquireAsync(EncryptionContext context, long plaintextBytes) {
    if (cache == null) {
      return newDataKeyAsync(context).thenApply(fresh -> new Materials(fresh.dataKey, fresh.headerMiddle, null));
    }
    DataKeyCache.Lookup lookup = new DataKeyCache.Lookup();
    return cache.acquireForEncryptAsync(owner, context, plaintextBytes, () -> newDataKeyAsync(context), lookup,
        executor).thenApply(key -> {
          emitEncryptLookup(lookup, context);
          return new Materials(key.dataKey, key.headerMiddle, key);
        });
  }

  private void emitEncryptLookup(DataKeyCache.Lookup lookup, EncryptionContext context) {
    KeyUsageListener.emit(listener, lookup.loaded ? KeyUsageEvent.Operation.ENCRYPT_CACHE_MISS
        : KeyUsageEvent.Operation.ENCRYPT_CACHE_HIT, null, context, null, 0);
  }

  /** One master-key call for the data key, plus one wrap per additional master key. */
  private CachedKey newDataKey(EncryptionContext context) {
    MasterKey primary = masterKeys.get(0);
    long start = System.nanoTime();
    DataKey dk;
    try {
      dk = primary.generateDataKey(context);
    } catch (RuntimeException e) {
      KeyUsageListener.emit(listener, KeyUsageEvent.Operation.GENERATE_DATA_KEY, primary.ref(), context, e,
          System.nanoTime() - start);
      throw e;
    }
    KeyUsageListener.emit(listener, KeyUsageEvent.Operation.GENERATE_DATA_KEY, primary.ref(), context, null,
        System.nanoTime() - start);
    try {
      checkGenerated(primary, dk);
      List<WrappedKey> wrapped = new ArrayList<>(masterKeys.size());
      wrapped.add(dk.wrapped());
      for (int i = 1; i < masterKeys.size(); i++) {
        MasterKey k = masterKeys.get(i);
        long t = System.nanoTime();
        try {
          wrapped.add(k.wrap(dk.plaintext(), context));
        } catch (RuntimeException e) {
          KeyUsageListener.emit(listener, KeyUsageEvent.Operation.WRAP, k.ref(), context, e, System.nanoTime() - t);
          throw e;
        }
        KeyUsageListener.emit(listener, KeyUsageEvent.Operation.WRAP, k.ref(), context, null, System.nanoTime() - t);
      }
      return cachedKey(dk, context, wrapped);
    } catch (RuntimeException e) {
      dk.close();
      throw e;
    }
  }

  /**
   * {@link #newDataKey} on the async SPI: the primary key's data key, then the other keys' wraps
   * all at once. Completes on an executor thread, so listener events and the header are made there,
   * not on a KMS client's thread; a data key that cannot be handed on is zeroed.
   */
  private CompletableFuture<CachedKey> newDataKeyAsync(EncryptionContext context) {
    MasterKey primary = masterKeys.get(0);
    CompletableFuture<CachedKey> out = new CompletableFuture<>();
    long start = System.nanoTime();
    Futures.start(() -> primary.generateDataKeyAsync(context, executor)).whenComplete((dk, error) -> {
      long nanos = System.nanoTime() - start;
      Futures.execute(executor, () -> {
        Throwable failure = error == null ? null : Futures.unwrap(error);
        KeyUsageListener.emit(listener, KeyUsageEvent.Operation.GENERATE_DATA_KEY, primary.ref(), context, failure,
            nanos);
        if (failure != null) {
          out.completeExceptionally(failure);
        } else {
          wrapWithOthersAsync(primary, dk, context, out);
        }
      }, rejected -> {
        if (dk != null) {
          dk.close();
        }
        out.completeExceptionally(rejected);
      });
    });
    return out;
  }

  private void wrapWithOthersAsync(MasterKey primary, DataKey dk, EncryptionContext context,
      CompletableFuture<CachedKey> out) {
    try {
      checkGenerated(primary, dk);
    } catch (RuntimeException e) {
      dk.close();
      out.completeExceptionally(e);
      return;
    }
    int others = masterKeys.size() - 1;
    if (others == 0) {
      completeCachedKey(dk, context, List.of(dk.wrapped()), out);
      return;
    }
    List<CompletableFuture<WrappedKey>> wraps = new ArrayList<>(others);
    long[] nanos = new long[others];
    for (int i = 0; i < others; i++) {
      MasterKey k = masterKeys.get(i + 1);
      int index = i;
      long t = System.nanoTime();
      wraps.add(Futures.start(() -> k.wrapAsync(dk.plaintext(), context, executor))
          .whenComplete((w, e) -> nanos[index] = System.nanoTime() - t));
    }
    CompletableFuture.allOf(wraps.toArray(new CompletableFuture<?>[0])).whenComplete((ignored, e) ->
        Futures.execute(executor, () -> {
          List<WrappedKey> wrapped = new ArrayList<>(others + 1);
          wrapped.add(dk.wrapped());
          Throwable failure = null;
          for (int i = 0; i < others; i++) {
            Throwable f = Futures.failure(wraps.get(i));
            KeyUsageListener.emit(listener, KeyUsageEvent.Operation.WRAP, masterKeys.get(i + 1).ref(), context, f,
                nanos[i]);
            if (f == null) {
              wrapped.add(wraps.get(i).join());
            } else if (failure == null) {
              failure = f;
            }
          }
          if (failure != null) {
            dk.close();
            out.completeExceptionally(failure);
          } else {
            completeCachedKey(dk, context, wrapped, out);
          }
        }, rejected -> {
          dk.close();
          out.completeExceptionally(rejected);
        }));
  }

  private void completeCachedKey(DataKey dk, EncryptionContext context, List<WrappedKey> wrapped,
      CompletableFuture<CachedKey> out) {
    try {
      out.complete(cachedKey(dk, context, wrapped));
    } catch (RuntimeException e) {
      dk.close();
      out.completeExceptionally(e);
    }
  }

  private static void checkGenerated(MasterKey primary, DataKey dk) {
    if (dk.plaintext().length() != MasterKey.DATA_KEY_LENGTH) {
      throw new KmsException("master key " + primary.ref() + " returned a data key of the wrong length", false);
    }
  }

  private CachedKey cachedKey(DataKey dk, EncryptionContext context, List<WrappedKey> wrapped) {
    return new CachedKey(dk.plaintext(), MessageFormat.headerMiddle(segmentSize, context.canonical(), wrapped));
  }

  // ---------------------------------------------------------------- decrypt

  /**
   * Decrypts a message encrypted with the same {@code context}.
   *
   * @throws InvalidCiphertextException if the ciphertext was altered or the context differs
   * @throws KeyUnavailableException if none of this envelope's master keys wrapped its data key
   */
  public byte[] decrypt(byte[] ciphertext, EncryptionContext context) {
    Objects.requireNonNull(ciphertext, "ciphertext");
    Objects.requireNonNull(context, "context");
    Header h = parse(ciphertext);
    return openBody(ciphertext, h, openHeader(h, context));
  }

  private static Header parse(byte[] ciphertext) {
    try {
      return MessageFormat.parse(ciphertext, 0, ciphertext.length);
    } catch (MalformedException e) {
      throw new InvalidCiphertextException();
    }
  }

  /** §5: authenticates and decrypts every segment of a whole message. */
  private static byte[] openBody(byte[] ciphertext, Header h, SecretKeySpec contentKey) {
    int segmentSize = h.segmentSize();
    long body = (long) ciphertext.length - h.length();
    if (body < Gcm.TAG_LENGTH) {
      throw new InvalidCiphertextException();
    }
    long fullSegments = (body - Gcm.TAG_LENGTH) / (segmentSize + Gcm.TAG_LENGTH);
    byte[] out = new byte[(int) (body - (fullSegments + 1) * Gcm.TAG_LENGTH)];
    int in = h.length();
    int pos = 0;
    for (long i = 0; i <= fullSegments; i++) {
      boolean last = i == fullSegments;
      int n = last ? out.length - pos : segmentSize;
      if (!Gcm.decrypt(contentKey, MessageFormat.nonce(last ? MessageFormat.FLAG_FINAL_SEGMENT : MessageFormat.FLAG_SEGMENT, i),
          null, 0, 0, ciphertext, in, n + Gcm.TAG_LENGTH, out, pos)) {
        Arrays.fill(out, (byte) 0);
        throw new InvalidCiphertextException();
      }
      in += n + Gcm.TAG_LENGTH;
      pos += n;
    }
    return out;
  }

  /**
   * Decrypts a stream. The header is read and authenticated now; each segment's plaintext is
   * released only after that segment authenticated, and a stream that ends without its final
   * segment fails with {@link InvalidCiphertextException} from {@code read}.
   */
  public InputStream decryptingStream(InputStream source, EncryptionContext context) {
    Objects.requireNonNull(source, "source");
    Objects.requireNonNull(context, "context");
    Header h;
    try {
      h = MessageFormat.read(source);
    } catch (MalformedException e) {
      throw new InvalidCiphertextException();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    SecretKeySpec contentKey = openHeader(h, context);
    return new DecryptingInputStream(source, contentKey, h.segmentSize());
  }

  /**
   * {@link #decrypt} without blocking the caller or any thread on KMS I/O: a cached data key is
   * used as {@link #decrypt} uses it; on a miss the allowed master keys are tried in the same order
   * with {@link MasterKey#unwrapAsync}, and concurrent misses for one wrapped key and context share
   * one call. Envelope's own work runs on this envelope's {@linkplain Builder#executor executor},
   * where the future is completed; it fails with the exception {@link #decrypt} would throw
   * ({@link InvalidCiphertextException}, {@link KeyUnavailableException}, …) itself.
   */
  public CompletableFuture<byte[]> decryptAsync(byte[] ciphertext, EncryptionContext context) {
    Objects.requireNonNull(ciphertext, "ciphertext");
    Objects.requireNonNull(context, "context");
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    Futures.execute(executor, () -> {
      Header h;
      try {
        h = parse(ciphertext);
      } catch (RuntimeException e) {
        result.completeExceptionally(e);
        return;
      }
      openHeaderAsync(h, context).whenComplete((contentKey, error) -> {
        if (error != null) {
          result.completeExceptionally(Futures.unwrap(error));
          return;
        }
        try {
          result.complete(openBody(ciphertext, h, contentKey));
        } catch (Throwable t) {
          result.completeExceptionally(t);
        }
      });
    }, result::completeExceptionally);
    return result;
  }

  /**
   * Re-wraps a message's data key under this envelope's master keys without re-encrypting the
   * body (master-key rotation). The old header is authenticated first, so a tampered message is
   * never laundered into a valid one.
   */
  public byte[] rewrap(byte[] ciphertext, EncryptionContext context) {
    Header h = parse(ciphertext);
    checkContext(h, context);
    SecretBytes dataKey = unwrapUncached(h, context);
    try {
      authenticate(h, dataKey);
      List<WrappedKey> wrapped = new ArrayList<>(masterKeys.size());
      for (MasterKey k : masterKeys) {
        long t = System.nanoTime();
        try {
          wrapped.add(k.wrap(dataKey, context));
          KeyUsageListener.emit(listener, KeyUsageEvent.Operation.WRAP, k.ref(), context, null, System.nanoTime() - t);
        } catch (RuntimeException e) {
          KeyUsageListener.emit(listener, KeyUsageEvent.Operation.WRAP, k.ref(), context, e, System.nanoTime() - t);
          throw e;
        }
      }
      byte[] middle = MessageFormat.headerMiddle(h.segmentSize(), h.context(), wrapped);
      int headerLength = MessageFormat.headerLength(middle.length);
      byte[] out = new byte[headerLength + ciphertext.length - h.length()];
      int commitmentOffset = MessageFormat.writeHeaderPrefix(out, h.messageId(), middle);
      byte[] okm = Gcm.hkdfExpand(dataKey.unsafeBytes(), MessageFormat.kdfInfo(h.suite(), h.messageId(), 0), 64);
      try {
        System.arraycopy(okm, 32, out, commitmentOffset, MessageFormat.COMMITMENT_LENGTH);
        int tagOffset = commitmentOffset + MessageFormat.COMMITMENT_LENGTH;
        Gcm.encrypt(new SecretKeySpec(okm, 0, 32, "AES"), MessageFormat.nonce(MessageFormat.FLAG_HEADER, 0),
            out, 0, tagOffset, NO_INPUT, 0, 0, out, tagOffset);
      } finally {
        Arrays.fill(okm, (byte) 0);
      }
      System.arraycopy(ciphertext, h.length(), out, headerLength, ciphertext.length - h.length());
      return out;
    } finally {
      dataKey.destroy();
    }
  }

  private static void checkContext(Header h, EncryptionContext context) {
    if (!MessageDigest.isEqual(h.context(), context.canonical())) {
      throw new InvalidCiphertextException();
    }
  }

  /** §6 steps 2–6: context, allowed key, data key, commitment, header tag. */
  private SecretKeySpec openHeader(Header h, EncryptionContext context) {
    checkContext(h, context);
    if (cache == null) {
      SecretBytes dataKey = unwrapUncached(h, context);
      try {
        return authenticate(h, dataKey);
      } finally {
        dataKey.destroy();
      }
    }
    Candidates c = new Candidates(h);
    while (c.next()) {
      MasterKey mk = c.key;
      WrappedKey w = c.wrapped;
      DataKeyCache.Lookup lookup = new DataKeyCache.Lookup();
      CachedKey key;
      try {
        key = cache.acquireForDecrypt(owner, w, context, () -> new CachedKey(unwrapOne(mk, w, context), null), lookup);
      } catch (RuntimeException e) {
        c.failed(e);
        continue;
      }
      emitDecryptLookup(lookup, mk, context);
      try {
        return authenticate(h, key.dataKey);
      } finally {
        key.release();
      }
    }
    throw c.noKey();
  }

  /**
   * {@link #openHeader} on the async SPI: the same candidates in the same order, the next one tried
   * only after the previous failed. Completes on an executor thread.
   */
  private CompletableFuture<SecretKeySpec> openHeaderAsync(Header h, EncryptionContext context) {
    CompletableFuture<SecretKeySpec> out = new CompletableFuture<>();
    try {
      checkContext(h, context);
    } catch (RuntimeException e) {
      out.completeExceptionally(e);
      return out;
    }
    nextCandidateAsync(new Candidates(h), h, context, out);
    return out;
  }

  private void nextCandidateAsync(Candidates c, Header h, EncryptionContext context,
      CompletableFuture<SecretKeySpec> out) {
    boolean found;
    try {
      found = c.next();
    } catch (RuntimeException e) {
      out.completeExceptionally(e);
      return;
    }
    if (!found) {
      out.completeExceptionally(c.noKey());
      return;
    }
    MasterKey mk = c.key;
    WrappedKey w = c.wrapped;
    if (cache == null) {
      unwrapOneAsync(mk, w, context).whenComplete((dataKey, error) -> {
        if (error != null) {
          candidateFailedAsync(c, h, context, out, error);
          return;
        }
        try {
          out.complete(authenticate(h, dataKey));
        } catch (Throwable t) {
          out.completeExceptionally(t);
        } finally {
          dataKey.destroy();
        }
      });
      return;
    }
    DataKeyCache.Lookup lookup = new DataKeyCache.Lookup();
    cache.acquireForDecryptAsync(owner, w, context,
        () -> unwrapOneAsync(mk, w, context).thenApply(dataKey -> new CachedKey(dataKey, null)), lookup, executor)
        .whenComplete((key, error) -> {
          if (error != null) {
            candidateFailedAsync(c, h, context, out, error);
            return;
          }
          emitDecryptLookup(lookup, mk, context);
          try {
            out.complete(authenticate(h, key.dataKey));
          } catch (Throwable t) {
            out.completeExceptionally(t);
          } finally {
            key.release();
          }
        });
  }

  private void candidateFailedAsync(Candidates c, Header h, EncryptionContext context,
      CompletableFuture<SecretKeySpec> out, Throwable error) {
    Throwable e = Futures.unwrap(error);
    if (!(e instanceof RuntimeException r)) {
      out.completeExceptionally(e);
      return;
    }
    c.failed(r);
    nextCandidateAsync(c, h, context, out);
  }

  private void emitDecryptLookup(DataKeyCache.Lookup lookup, MasterKey mk, EncryptionContext context) {
    KeyUsageListener.emit(listener, lookup.loaded ? KeyUsageEvent.Operation.DECRYPT_CACHE_MISS
        : KeyUsageEvent.Operation.DECRYPT_CACHE_HIT, mk.ref(), context, null, 0);
  }

  private SecretBytes unwrapUncached(Header h, EncryptionContext context) {
    Candidates c = new Candidates(h);
    while (c.next()) {
      try {
        return unwrapOne(c.key, c.wrapped, context);
      } catch (RuntimeException e) {
        c.failed(e);
      }
    }
    throw c.noKey();
  }

  /**
   * §6 step 3, as a cursor shared by the sync and async paths: the (master key, wrapped key) pairs
   * to try, this envelope's keys in builder order, each with the header's wrapped keys it
   * {@linkplain MasterKey#canUnwrap can unwrap}. Keeps the failure to report if none works: the
   * first, unless that was an InvalidCiphertextException and a more telling one followed.
   */
  private final class Candidates {
    private final Header h;
    private int keyIndex;
    private int wrappedIndex;
    private boolean any;
    private RuntimeException failure;
    MasterKey key;
    WrappedKey wrapped;

    Candidates(Header h) {
      this.h = h;
    }

    boolean next() {
      List<WrappedKey> keys = h.keys();
      while (keyIndex < decryptKeys.size()) {
        MasterKey mk = decryptKeys.get(keyIndex);
        while (wrappedIndex < keys.size()) {
          WrappedKey w = keys.get(wrappedIndex++);
          if (mk.canUnwrap(w)) {
            key = mk;
            wrapped = w;
            any = true;
            return true;
          }
        }
        keyIndex++;
        wrappedIndex = 0;
      }
      return false;
    }

    void failed(RuntimeException e) {
      if (failure == null || failure instanceof InvalidCiphertextException) {
        failure = e;
      }
    }

    RuntimeException noKey() {
      return Envelope.noKey(h, any, failure);
    }
  }

  private static RuntimeException noKey(Header h, boolean anyCandidate, RuntimeException failure) {
    if (!anyCandidate) {
      StringBuilder names = new StringBuilder();
      for (WrappedKey w : h.keys()) {
        names.append(names.length() == 0 ? "" : ", ").append(w.provider()).append(':').append(w.keyId());
      }
      return new KeyUnavailableException("none of the allowed master keys can decrypt this message; it was encrypted for: " + names);
    }
    if (failure instanceof InvalidCiphertextException) {
      return new InvalidCiphertextException();
    }
    return failure;
  }

  private SecretBytes unwrapOne(MasterKey mk, WrappedKey w, EncryptionContext context) {
    long t = System.nanoTime();
    SecretBytes dk;
    try {
      dk = mk.unwrap(w, context);
    } catch (RuntimeException e) {
      KeyUsageListener.emit(listener, KeyUsageEvent.Operation.UNWRAP, mk.ref(), context, e, System.nanoTime() - t);
      throw e;
    }
    return unwrapped(mk, context, dk, System.nanoTime() - t);
  }

  /** {@link #unwrapOne} on the async SPI; completes on an executor thread. */
  private CompletableFuture<SecretBytes> unwrapOneAsync(MasterKey mk, WrappedKey w, EncryptionContext context) {
    CompletableFuture<SecretBytes> out = new CompletableFuture<>();
    long start = System.nanoTime();
    Futures.start(() -> mk.unwrapAsync(w, context, executor)).whenComplete((dk, error) -> {
      long nanos = System.nanoTime() - start;
      Futures.execute(executor, () -> {
        if (error != null) {
          Throwable e = Futures.unwrap(error);
          KeyUsageListener.emit(listener, KeyUsageEvent.Operation.UNWRAP, mk.ref(), context, e, nanos);
          out.completeExceptionally(e);
          return;
        }
        try {
          out.complete(unwrapped(mk, context, dk, nanos));
        } catch (RuntimeException e) {
          out.completeExceptionally(e);
        }
      }, rejected -> {
        if (dk != null) {
          dk.destroy();
        }
        out.completeExceptionally(rejected);
      });
    });
    return out;
  }

  /** Checks what a master key unwrapped and reports the call. */
  private SecretBytes unwrapped(MasterKey mk, EncryptionContext context, SecretBytes dk, long nanos) {
    if (dk.length() != MasterKey.DATA_KEY_LENGTH) {
      dk.destroy();
      InvalidCiphertextException e = new InvalidCiphertextException();
      KeyUsageListener.emit(listener, KeyUsageEvent.Operation.UNWRAP, mk.ref(), context, e, nanos);
      throw e;
    }
    KeyUsageListener.emit(listener, KeyUsageEvent.Operation.UNWRAP, mk.ref(), context, null, nanos);
    return dk;
  }

  /** §4/§6: derives the content key, checks the commitment, then the header tag. */
  private static SecretKeySpec authenticate(Header h, SecretBytes dataKey) {
    byte[] okm = Gcm.hkdfExpand(dataKey.unsafeBytes(), MessageFormat.kdfInfo(h.suite(), h.messageId(), 0), 64);
    try {
      if (!MessageDigest.isEqual(Arrays.copyOfRange(okm, 32, 64), h.commitment())) {
        throw new InvalidCiphertextException();
      }
      SecretKeySpec contentKey = new SecretKeySpec(okm, 0, 32, "AES");
      byte[] tagOnly = h.tag();
      byte[] empty = new byte[0];
      if (!Gcm.decrypt(contentKey, MessageFormat.nonce(MessageFormat.FLAG_HEADER, 0), h.raw(), 0,
          h.authenticatedLength(), tagOnly, 0, tagOnly.length, empty, 0)) {
        throw new InvalidCiphertextException();
      }
      return contentKey;
    } finally {
      Arrays.fill(okm, (byte) 0);
    }
  }

  // ---------------------------------------------------------------- inspect

  /** Reads a message header without decrypting or authenticating anything. */
  public static MessageInfo inspect(byte[] ciphertext) {
    try {
      Header h = MessageFormat.parse(ciphertext, 0, ciphertext.length);
      return MessageInfo.of(h, ciphertext.length);
    } catch (MalformedException e) {
      throw new InvalidCiphertextException();
    }
  }

  /** Reads only the header from {@code in}; the total length is reported as -1. */
  public static MessageInfo inspect(InputStream in) throws IOException {
    try {
      return MessageInfo.of(MessageFormat.read(in), -1);
    } catch (MalformedException e) {
      throw new InvalidCiphertextException();
    }
  }

  /** Zeroes this envelope's cached data keys and stops its own async executor. */
  @Override
  public void close() {
    if (cache != null) {
      cache.invalidateOwner(owner);
    }
    if (ownedExecutor != null) {
      ownedExecutor.shutdown();
    }
  }

  @Override
  public String toString() {
    return "Envelope" + masterKeyRefs();
  }

  private static final class DaemonThreads implements ThreadFactory {
    private static final AtomicInteger COUNT = new AtomicInteger();

    @Override
    public Thread newThread(Runnable r) {
      Thread t = new Thread(r, "envelope-async-" + COUNT.incrementAndGet());
      t.setDaemon(true);
      return t;
    }
  }

  public static final class Builder {
    private final List<MasterKey> masterKeys = new ArrayList<>();
    private final List<MasterKey> decryptOnly = new ArrayList<>();
    private DataKeyCache cache;
    private int segmentSize = MessageFormat.DEFAULT_SEGMENT_SIZE;
    private KeyUsageListener listener = KeyUsageListener.noop();
    private Executor executor;

    private Builder() {}

    /**
     * The master keys that wrap every new data key; any one of them alone decrypts. The first
     * generates the data key.
     */
    public Builder masterKeys(MasterKey... keys) {
      return masterKeys(Arrays.asList(keys));
    }

    public Builder masterKeys(List<? extends MasterKey> keys) {
      for (MasterKey k : keys) {
        masterKeys.add(Objects.requireNonNull(k, "master key"));
      }
      return this;
    }

    /** Additional keys trusted for decryption only, e.g. the previous key during a migration. */
    public Builder alsoDecryptWith(MasterKey... keys) {
      for (MasterKey k : keys) {
        decryptOnly.add(Objects.requireNonNull(k, "master key"));
      }
      return this;
    }

    /** Caches data keys; without a cache every message gets a fresh data key. */
    public Builder dataKeyCache(DataKeyCache cache) {
      this.cache = Objects.requireNonNull(cache, "cache");
      return this;
    }

    /** Plaintext bytes per authenticated segment (§5); default 64 KiB. */
    public Builder segmentSize(int bytes) {
      if (bytes < MessageFormat.MIN_SEGMENT_SIZE || bytes > MessageFormat.MAX_SEGMENT_SIZE) {
        throw new IllegalArgumentException("segment size must be " + MessageFormat.MIN_SEGMENT_SIZE + ".."
            + MessageFormat.MAX_SEGMENT_SIZE + " bytes");
      }
      this.segmentSize = bytes;
      return this;
    }

    public Builder listener(KeyUsageListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Where the async methods do Envelope's own work (AES, headers, listener events) and complete
     * their futures; master-key calls go through the keys' async SPI and hold none of its threads
     * while waiting for a KMS. Default: this envelope's own daemon threads.
     */
    public Builder executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    public Envelope build() {
      if (masterKeys.isEmpty()) {
        throw new IllegalStateException("at least one master key is required: masterKeys(...)");
      }
      if (masterKeys.size() > MessageFormat.MAX_KEYS) {
        throw new IllegalStateException("at most " + MessageFormat.MAX_KEYS + " master keys");
      }
      return new Envelope(this);
    }
  }
}
