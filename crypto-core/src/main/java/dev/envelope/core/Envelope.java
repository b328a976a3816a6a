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
    } finally {
      m.release();
    }
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

  public CompletableFuture<byte[]> encryptAsync(byte[] plaintext, EncryptionContext context) {
    return CompletableFuture.supplyAsync(() -> encrypt(plaintext, context), executor);
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
    KeyUsageListener.emit(listener, lookup.loaded ? KeyUsageEvent.Operation.ENCRYPT_CACHE_MISS
        : KeyUsageEvent.Operation.ENCRYPT_CACHE_HIT, null, context, null, 0);
    return new Materials(key.dataKey, key.headerMiddle, key);
  }

  /** One master-key call for the data key, plus one wrap per additional master key. */
  private CachedKey newDataKey(EncryptionContext context) {
    MasterKey primary = masterKeys.get(0);
    long start = System.nanoTime();
    DataKey dk;
    try {
      dk = primary.generateDataKey(context);
      KeyUsageListener.emit(listener, KeyUsageEvent.Operation.GENERATE_DATA_KEY, primary.ref(), context, null,
          System.nanoTime() - start);
    } catch (RuntimeException e) {
      KeyUsageListener.emit(listener, KeyUsageEvent.Operation.GENERATE_DATA_KEY, primary.ref(), context, e,
          System.nanoTime() - start);
      throw e;
    }
    try {
      if (dk.plaintext().length() != MasterKey.DATA_KEY_LENGTH) {
        throw new KmsException("master key " + primary.ref() + " returned a data key of the wrong length", false);
      }
      List<WrappedKey> wrapped = new ArrayList<>(masterKeys.size());
      wrapped.add(dk.wrapped());
      for (int i = 1; i < masterKeys.size(); i++) {
        MasterKey k = masterKeys.get(i);
        long t = System.nanoTime();
        try {
          wrapped.add(k.wrap(dk.plaintext(), context));
          KeyUsageListener.emit(listener, KeyUsageEvent.Operation.WRAP, k.ref(), context, null, System.nanoTime() - t);
        } catch (RuntimeException e) {
          KeyUsageListener.emit(listener, KeyUsageEvent.Operation.WRAP, k.ref(), context, e, System.nanoTime() - t);
          throw e;
        }
      }
      byte[] middle = MessageFormat.headerMiddle(segmentSize, context.canonical(), wrapped);
      return new CachedKey(dk.plaintext(), middle);
    } catch (RuntimeException e) {
      dk.close();
      throw e;
    }
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
    Header h;
    try {
      h = MessageFormat.parse(ciphertext, 0, ciphertext.length);
    } catch (MalformedException e) {
      throw new InvalidCiphertextException();
    }
    SecretKeySpec contentKey = openHeader(h, context);
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

  public CompletableFuture<byte[]> decryptAsync(byte[] ciphertext, EncryptionContext context) {
    return CompletableFuture.supplyAsync(() -> decrypt(ciphertext, context), executor);
  }

  /**
   * Re-wraps a message's data key under this envelope's master keys without re-encrypting the
   * body (master-key rotation). The old header is authenticated first, so a tampered message is
   * never laundered into a valid one.
   */
  public byte[] rewrap(byte[] ciphertext, EncryptionContext context) {
    Header h;
    try {
      h = MessageFormat.parse(ciphertext, 0, ciphertext.length);
    } catch (MalformedException e) {
      throw new InvalidCiphertextException();
    }
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
    RuntimeException firstFailure = null;
    boolean anyCandidate = false;
    for (MasterKey mk : decryptKeys) {
      for (WrappedKey w : h.keys()) {
        if (!mk.canUnwrap(w)) {
          continue;
        }
        anyCandidate = true;
        DataKeyCache.Lookup lookup = new DataKeyCache.Lookup();
        CachedKey key;
        try {
          key = cache.acquireForDecrypt(owner, w, context, () -> new CachedKey(unwrapOne(mk, w, context), null), lookup);
        } catch (RuntimeException e) {
          if (firstFailure == null || firstFailure instanceof InvalidCiphertextException) {
            firstFailure = e;
          }
          continue;
        }
        KeyUsageListener.emit(listener, lookup.loaded ? KeyUsageEvent.Operation.DECRYPT_CACHE_MISS
            : KeyUsageEvent.Operation.DECRYPT_CACHE_HIT, mk.ref(), context, null, 0);
        try {
          return authenticate(h, key.dataKey);
        } finally {
          key.release();
        }
      }
    }
    throw noKey(h, anyCandidate, firstFailure);
  }

  private SecretBytes unwrapUncached(Header h, EncryptionContext context) {
    RuntimeException firstFailure = null;
    boolean anyCandidate = false;
    for (MasterKey mk : decryptKeys) {
      for (WrappedKey w : h.keys()) {
        if (mk.canUnwrap(w)) {
          anyCandidate = true;
          try {
            return unwrapOne(mk, w, context);
          } catch (RuntimeException e) {
            if (firstFailure == null || firstFailure instanceof InvalidCiphertextException) {
              firstFailure = e;
            }
          }
        }
      }
    }
    throw noKey(h, anyCandidate, firstFailure);
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
    try {
      SecretBytes dk = mk.unwrap(w, context);
      if (dk.length() != MasterKey.DATA_KEY_LENGTH) {
        dk.destroy();
        throw new InvalidCiphertextException();
      }
      KeyUsageListener.emit(listener, KeyUsageEvent.Operation.UNWRAP, mk.ref(), context, null, System.nanoTime() - t);
      return dk;
    } catch (RuntimeException e) {
      KeyUsageListener.emit(listener, KeyUsageEvent.Operation.UNWRAP, mk.ref(), context, e, System.nanoTime() - t);
      throw e;
    }
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

    /** Executor for the async methods; default: this envelope's own daemon threads. */
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
