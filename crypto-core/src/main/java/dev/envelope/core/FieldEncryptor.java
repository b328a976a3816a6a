package dev.envelope.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.envelope.core.internal.Gcm;
import dev.envelope.core.internal.field.FieldCipher;
import dev.envelope.core.internal.field.FieldFormat;
import dev.envelope.core.internal.field.FieldKey;
import java.time.Clock;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Encrypts database column values in the compact field format (docs/fields.md §2): 37 bytes of
 * overhead, the wrapped data key stored once in a {@link DataKeyStore} instead of in every value,
 * the encryption context (table, column, row id, tenant) authenticated but never stored.
 *
 * <pre>{@code
 * FieldEncryptor fields = FieldEncryptor.builder()
 *     .masterKey(masterKey)
 *     .dataKeyStore(JdbcDataKeyStore.create(dataSource))
 *     .build();
 * EncryptionContext ctx = EncryptionContext.of("table", "users", "column", "ssn", "id", "42");
 * byte[] stored = fields.encrypt(ssn, ctx);
 * byte[] ssnAgain = fields.decrypt(stored, ctx);   // another row, column or tenant → InvalidCiphertextException
 * }</pre>
 *
 * <p>Each encryptor creates its own data key on first use and replaces it according to its
 * {@link DataKeyRotation}; warm encryptions and decryptions make no master-key call and no table
 * read. Several encryptors and processes may share one store: they read each other's values.
 *
 * <p>Thread-safe. Close it to zero the plaintext keys it holds (best effort on the JVM).
 */
public final class FieldEncryptor implements AutoCloseable {
  /** Bytes a field value adds to its plaintext (before any text encoding). */
  public static final int OVERHEAD = FieldFormat.OVERHEAD;

  private static final int REWRAP_PAGE = 100;
  private static final int ID_ATTEMPTS = 8;

  private volatile MasterKey masterKey;
  private final CopyOnWriteArrayList<MasterKey> unwrapKeys;
  private final DataKeyStore store;
  private final long maxMessages;
  private final long maxAgeNanos;
  private final long recheckNanos;
  private final Ticker ticker;
  private final Clock clock;
  private final KeyUsageListener listener;
  private final boolean listening;
  private final Cache<Long, FieldKey> decryptKeys;
  /** Destruction is final, so remembering it saves a table read per value of a shredded key. */
  private final Cache<Long, Boolean> destroyedKeys = Caffeine.newBuilder().maximumSize(10_000).build();
  private final ReentrantLock rotationLock = new ReentrantLock();
  private final ConcurrentHashMap<IndexSlot, BlindIndex> indexes = new ConcurrentHashMap<>();
  private final Object indexLock = new Object();
  private SecretBytes indexRoot; // guarded by indexLock
  private volatile Active current;
  private volatile boolean closed;

  /** The data key this encryptor currently encrypts under; it is the only one that does. */
  private static final class Active {
    final long id;
    final FieldKey key;
    final AtomicLong uses = new AtomicLong();
    final long rotateAt;
    /** min(rotateAt, next time the row's state is re-read); moves forward only under the lock. */
    volatile long deadline;

    Active(long id, FieldKey key, long rotateAt, long deadline) {
      this.id = id;
      this.key = key;
      this.rotateAt = rotateAt;
      this.deadline = deadline;
    }
  }

  private record IndexSlot(String name, int length) {}

  private FieldEncryptor(Builder b) {
    this.masterKey = b.masterKey;
    List<MasterKey> keys = new ArrayList<>();
    keys.add(b.masterKey);
    keys.addAll(b.alsoDecryptWith);
    this.unwrapKeys = new CopyOnWriteArrayList<>(keys);
    this.store = b.store;
    this.maxMessages = b.rotation.maxMessages();
    this.maxAgeNanos = b.rotation.maxAge().toNanos();
    this.recheckNanos = b.cacheExpiry.toNanos();
    this.ticker = b.ticker;
    this.clock = b.clock;
    this.listener = b.listener;
    this.listening = b.listener != KeyUsageListener.noop();
    this.decryptKeys = Caffeine.newBuilder()
        .maximumSize(b.maxCachedKeys)
        .expireAfterWrite(b.cacheExpiry)
        .ticker(b.ticker::read)
        .executor(Runnable::run)
        .removalListener((Long id, FieldKey key, RemovalCause cause) -> onRemoval(key, cause))
        .build();
  }

  public static Builder builder() {
    return new Builder();
  }

  // ---------------------------------------------------------------- encrypt / decrypt

  /**
   * Encrypts one column value bound to {@code context} (docs/fields.md §2). The result is
   * {@link #OVERHEAD} bytes longer than {@code plaintext}.
   */
  public byte[] encrypt(byte[] plaintext, EncryptionContext context) {
    Objects.requireNonNull(plaintext, "plaintext");
    Objects.requireNonNull(context, "context");
    if (plaintext.length > FieldFormat.MAX_PLAINTEXT_LENGTH) {
      throw new IllegalArgumentException("plaintext too large for a field value");
    }
    checkOpen();
    byte[] aad = context.canonical();
    for (;;) {
      Active a = current;
      if (a != null && a.uses.incrementAndGet() <= maxMessages && ticker.read() - a.deadline < 0) {
        byte[] out = FieldCipher.seal(a.key, a.id, plaintext, aad);
        if (out != null) {
          if (listening) {
            KeyUsageListener.emit(listener, KeyUsageEvent.Operation.ENCRYPT_CACHE_HIT, masterKey.ref(), context, null, 0);
          }
          return out;
        }
      }
      refresh(a, context);
    }
  }

  /**
   * Decrypts a value written by {@link #encrypt} (by this or any encryptor sharing the store).
   *
   * @throws InvalidCiphertextException if the value was altered or truncated, or {@code context}
   *     differs from the one it was encrypted with (another row, column or tenant)
   * @throws KeyUnavailableException if its data key was destroyed, is not in the store, or is
   *     wrapped under a master key this encryptor may not use
   */
  public byte[] decrypt(byte[] value, EncryptionContext context) {
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(context, "context");
    checkOpen();
    long id = FieldFormat.parseDataKeyId(value);
    byte[] aad = context.canonical();
    for (;;) {
      Active a = current;
      FieldKey key = a != null && a.id == id ? a.key : decryptKey(id, context);
      byte[] plaintext = FieldCipher.open(key, value, aad);
      if (plaintext != null) {
        return plaintext;
      }
      // The key was zeroed while we used it (rotation, eviction, destroy, close): look again.
      checkOpen();
      if (a == null || key != a.key) {
        decryptKeys.asMap().remove(id, key);
      }
    }
  }

  /** {@link #encrypt} in text form for text columns: URL-safe base64 without padding (§2.3). */
  public String encryptToString(byte[] plaintext, EncryptionContext context) {
    return FieldFormat.toText(encrypt(plaintext, context));
  }

  /** Decrypts the text form; any other text fails with {@link InvalidCiphertextException}. */
  public byte[] decryptFromString(String value, EncryptionContext context) {
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(context, "context");
    return decrypt(FieldFormat.fromText(value), context);
  }

  /**
   * The data-key id a field value names (docs/fields.md §2.1), for finding the values under a
   * retired key. Needs no key.
   *
   * @throws InvalidCiphertextException if {@code value} is not a well-formed field value
   */
  public static long dataKeyIdOf(byte[] value) {
    return FieldFormat.parseDataKeyId(Objects.requireNonNull(value, "value"));
  }

  // ---------------------------------------------------------------- rotation (§4)

  /** Replaces the current data key, or re-reads its row; single-flight under the lock. */
  private void refresh(Active seen, EncryptionContext context) {
    rotationLock.lock();
    try {
      checkOpen();
      Active a = current;
      if (a != seen) {
        return; // another thread already moved on
      }
      if (a != null) {
        long now = ticker.read();
        boolean exhausted = a.uses.get() > maxMessages || now - a.rotateAt >= 0;
        if (!exhausted && !a.key.isDestroyed()) {
          if (now - a.deadline < 0) {
            return;
          }
          // §7: another process may have retired or destroyed this key; a table read per interval.
          Optional<DataKeyRecord> row = store.find(a.id);
          if (row.isPresent() && row.get().state() == DataKeyRecord.State.ACTIVE) {
            a.deadline = Math.min(a.rotateAt, now + recheckNanos);
            return;
          }
        }
      }
      if (listening) {
        KeyUsageListener.emit(listener, KeyUsageEvent.Operation.ENCRYPT_CACHE_MISS, masterKey.ref(), context, null, 0);
      }
      current = createDataKey();
      if (a != null) {
        a.key.destroy();
        retireQuietly(a.id);
      }
    } finally {
      rotationLock.unlock();
    }
  }

  /** §3, §4: a fresh data key in the store, ready to encrypt; one master-key call. */
  private Active createDataKey() {
    MasterKey mk = masterKey;
    for (int attempt = 0; attempt < ID_ATTEMPTS; attempt++) {
      long id = FieldFormat.newDataKeyId();
      EncryptionContext wrapContext = FieldFormat.dataKeyContext(id);
      try (DataKey dk = generate(mk, wrapContext)) {
        if (!store.insert(DataKeyRecord.active(id, dk.wrapped(), clock.instant().truncatedTo(ChronoUnit.MICROS)))) {
          continue; // §2.1: 48-bit id collision; draw another
        }
        byte[] raw = dk.plaintext().unsafeBytes();
        decryptKeys.put(id, new FieldKey(raw.clone(), "AES"));
        long now = ticker.read();
        long rotateAt = now + maxAgeNanos;
        return new Active(id, new FieldKey(raw.clone(), "AES"), rotateAt, Math.min(rotateAt, now + recheckNanos));
      }
    }
    throw new EnvelopeException("could not draw an unused data-key id in " + ID_ATTEMPTS + " attempts");
  }

  private DataKey generate(MasterKey mk, EncryptionContext wrapContext) {
    long start = System.nanoTime();
    DataKey dk;
    try {
      dk = mk.generateDataKey(wrapContext);
    } catch (RuntimeException e) {
      KeyUsageListener.emit(listener, KeyUsageEvent.Operation.GENERATE_DATA_KEY, mk.ref(), wrapContext, e,
          System.nanoTime() - start);
      throw e;
    }
    KeyUsageListener.emit(listener, KeyUsageEvent.Operation.GENERATE_DATA_KEY, mk.ref(), wrapContext, null,
        System.nanoTime() - start);
    if (dk.plaintext().length() != MasterKey.DATA_KEY_LENGTH || !mk.canUnwrap(dk.wrapped())) {
      dk.close();
      throw new KmsException("master key " + mk.ref() + " returned a data key it could not unwrap again", false);
    }
    return dk;
  }

  private void retireQuietly(long id) {
    try {
      store.retire(id);
    } catch (RuntimeException e) {
      // Only bookkeeping: this encryptor never uses the key again whatever the row says, and
      // failing the encryption that crossed the rotation boundary would help nobody.
    }
  }

  // ---------------------------------------------------------------- decrypt-side keys

  private FieldKey decryptKey(long id, EncryptionContext context) {
    FieldKey key = decryptKeys.getIfPresent(id);
    if (key != null) {
      if (listening) {
        KeyUsageListener.emit(listener, KeyUsageEvent.Operation.DECRYPT_CACHE_HIT, null, context, null, 0);
      }
      return key;
    }
    if (listening) {
      KeyUsageListener.emit(listener, KeyUsageEvent.Operation.DECRYPT_CACHE_MISS, null, context, null, 0);
    }
    return decryptKeys.get(id, this::loadKey);
  }

  /** §2.4 step 4: one table read and one master-key unwrap; Caffeine makes it single-flight. */
  private FieldKey loadKey(long id) {
    checkOpen();
    String hex = DataKeyRecord.idToString(id);
    if (destroyedKeys.getIfPresent(id) != null) {
      throw destroyed(hex);
    }
    DataKeyRecord row = store.find(id).orElseThrow(() -> new KeyUnavailableException("data key " + hex
        + " is not in " + store + ": wrong data-key table, or its row was deleted"));
    if (row.id() != id) {
      throw new EnvelopeException("data-key store returned row " + DataKeyRecord.idToString(row.id())
          + " for id " + hex);
    }
    if (row.state() == DataKeyRecord.State.DESTROYED) {
      destroyedKeys.put(id, Boolean.TRUE);
      throw destroyed(hex);
    }
    try (SecretBytes raw = unwrap(row)) {
      return new FieldKey(raw.toByteArray(), "AES");
    }
  }

  private static KeyUnavailableException destroyed(String hex) {
    return new KeyUnavailableException("data key " + hex
        + " was destroyed (crypto-shredding): values encrypted under it can no longer be decrypted");
  }

  private SecretBytes unwrap(DataKeyRecord row) {
    WrappedKey w = row.wrapped();
    MasterKey mk = unwrapperFor(w);
    if (mk == null) {
      throw new KeyUnavailableException("data key " + DataKeyRecord.idToString(row.id()) + " is wrapped under "
          + w.keyRef() + ", which this FieldEncryptor may not use (add it with alsoDecryptWith)");
    }
    EncryptionContext wrapContext = FieldFormat.wrappingContext(row.id());
    long start = System.nanoTime();
    SecretBytes raw;
    try {
      raw = mk.unwrap(w, wrapContext);
    } catch (RuntimeException e) {
      KeyUsageListener.emit(listener, KeyUsageEvent.Operation.UNWRAP, mk.ref(), wrapContext, e, System.nanoTime() - start);
      throw e;
    }
    KeyUsageListener.emit(listener, KeyUsageEvent.Operation.UNWRAP, mk.ref(), wrapContext, null, System.nanoTime() - start);
    if (raw.length() != MasterKey.DATA_KEY_LENGTH) {
      raw.destroy();
      throw new KmsException("master key " + mk.ref() + " unwrapped a data key of the wrong length", false);
    }
    return raw;
  }

  private MasterKey unwrapperFor(WrappedKey w) {
    for (MasterKey mk : unwrapKeys) {
      if (mk.canUnwrap(w)) {
        return mk;
      }
    }
    return null;
  }

  private void onRemoval(FieldKey key, RemovalCause cause) {
    if (key != null) {
      key.destroy();
      if (listening && cause != RemovalCause.REPLACED) {
        KeyUsageListener.emit(listener, KeyUsageEvent.Operation.CACHE_EVICTION, null, EncryptionContext.empty(), null, 0);
      }
    }
  }

  // ---------------------------------------------------------------- key management (§6, §7)

  /**
   * Stops new use of a data key everywhere: its row becomes {@link DataKeyRecord.State#RETIRED};
   * values under it still decrypt. This encryptor switches to a new key at once, others sharing
   * the store within their {@linkplain Builder#cacheExpiry cache expiry}.
   *
   * @throws IllegalArgumentException if the store has no such data key
   */
  public void retire(long dataKeyId) {
    checkKeyId(dataKeyId);
    checkOpen();
    if (!store.retire(dataKeyId)) {
      throw new IllegalArgumentException("no data key " + DataKeyRecord.idToString(dataKeyId) + " in " + store);
    }
    dropCurrent(dataKeyId);
  }

  /**
   * Crypto-shredding (docs/fields.md §7): deletes the wrapped data key from the store, so every
   * value encrypted under it becomes permanently unreadable ({@link KeyUnavailableException}).
   * Takes effect in this encryptor at once and in others sharing the store within their
   * {@linkplain Builder#cacheExpiry cache expiry}. Irreversible.
   *
   * <p>Only this encryptor's own current key or a {@linkplain #retire retired} key may be
   * destroyed: another encryptor may still be writing new values under an active key, and values
   * written under a destroyed key are lost. Retire it first, and destroy it once every encryptor
   * sharing the store had its cache expiry to notice.
   *
   * @throws IllegalArgumentException if the store has no such data key
   * @throws IllegalStateException if the key is active and not this encryptor's current key
   */
  public void destroy(long dataKeyId) {
    checkKeyId(dataKeyId);
    checkOpen();
    String hex = DataKeyRecord.idToString(dataKeyId);
    DataKeyRecord row = store.find(dataKeyId)
        .orElseThrow(() -> new IllegalArgumentException("no data key " + hex + " in " + store));
    Active a = current;
    boolean own = a != null && a.id == dataKeyId;
    if (row.state() == DataKeyRecord.State.ACTIVE && !own) {
      throw new IllegalStateException("data key " + hex + " is active: another encryptor may still write under it; "
          + "retire it, wait for every encryptor's cache expiry, then destroy it");
    }
    dropCurrent(dataKeyId);
    store.retire(dataKeyId);
    if (!store.destroy(dataKeyId)) {
      throw new IllegalArgumentException("no data key " + hex + " in " + store);
    }
    destroyedKeys.put(dataKeyId, Boolean.TRUE);
    decryptKeys.invalidate(dataKeyId);
    decryptKeys.cleanUp();
  }

  private static void checkKeyId(long id) {
    if (id == DataKeyRecord.INDEX_ROOT_ID) {
      throw new IllegalArgumentException("the blind-index root key is not a data key: it cannot be retired or destroyed");
    }
  }

  private void dropCurrent(long id) {
    rotationLock.lock();
    try {
      Active a = current;
      if (a != null && a.id == id) {
        current = null;
        a.key.destroy();
      }
    } finally {
      rotationLock.unlock();
    }
  }

  /**
   * Master-key rotation (docs/fields.md §6): rewraps every live row of the data-key table (data
   * keys and the blind-index root) under {@code newMasterKey} with {@link MasterKey#rewrap}, so a
   * KMS that can re-encrypt in place never exposes the data keys. Field values are not touched.
   *
   * <p>Afterwards this encryptor wraps new data keys under {@code newMasterKey} and may unwrap with
   * it. Other encryptors sharing the store need {@code masterKey(newMasterKey)} to read rewrapped
   * rows: configure them with {@code .masterKey(newMasterKey).alsoDecryptWith(oldMasterKey)} before
   * running this, then drop the old key (the procedure of §6). Safe to run again: rows already under
   * {@code newMasterKey} are rewrapped to its current version.
   *
   * @return the number of rows rewrapped
   * @throws KeyUnavailableException after rewrapping everything else, if some rows are wrapped
   *     under master keys this encryptor cannot use (the message names them)
   */
  public long rewrapDataKeys(MasterKey newMasterKey) {
    Objects.requireNonNull(newMasterKey, "newMasterKey");
    checkOpen();
    rotationLock.lock();
    try {
      // Before the first row moves, so nothing this encryptor reads or creates is left behind.
      if (!unwrapKeys.contains(newMasterKey)) {
        unwrapKeys.add(0, newMasterKey);
      }
      masterKey = newMasterKey;
    } finally {
      rotationLock.unlock();
    }
    long rewrapped = 0;
    Set<KeyRef> unusable = new LinkedHashSet<>();
    long from = Long.MIN_VALUE;
    for (;;) {
      List<DataKeyRecord> page = store.list(from, REWRAP_PAGE);
      for (DataKeyRecord row : page) {
        checkOpen();
        if (rewrapRow(row, newMasterKey, unusable)) {
          rewrapped++;
        }
      }
      if (page.size() < REWRAP_PAGE || page.get(page.size() - 1).id() == Long.MAX_VALUE) {
        break;
      }
      from = page.get(page.size() - 1).id() + 1;
    }
    if (!unusable.isEmpty()) {
      throw new KeyUnavailableException("rewrapped " + rewrapped + " data keys; others are wrapped under " + unusable
          + ", which this FieldEncryptor may not use: rewrap them from one configured with those keys");
    }
    return rewrapped;
  }

  /**
   * @return true if the row was rewrapped; false if it is destroyed or gone, or wrapped under a
   *     master key this encryptor cannot use (then added to {@code unusable})
   */
  private boolean rewrapRow(DataKeyRecord row, MasterKey destination, Set<KeyRef> unusable) {
    for (int attempt = 0; attempt < 3; attempt++) {
      if (row.state() == DataKeyRecord.State.DESTROYED) {
        return false;
      }
      WrappedKey w = row.wrapped();
      MasterKey source = unwrapperFor(w);
      if (source == null) {
        unusable.add(w.keyRef());
        return false;
      }
      EncryptionContext wrapContext = FieldFormat.wrappingContext(row.id());
      long start = System.nanoTime();
      WrappedKey rewrapped;
      try {
        rewrapped = source.rewrap(w, destination, wrapContext);
      } catch (RuntimeException e) {
        KeyUsageListener.emit(listener, KeyUsageEvent.Operation.REWRAP, source.ref(), wrapContext, e,
            System.nanoTime() - start);
        throw e;
      }
      KeyUsageListener.emit(listener, KeyUsageEvent.Operation.REWRAP, source.ref(), wrapContext, null,
          System.nanoTime() - start);
      if (!destination.canUnwrap(rewrapped)) {
        throw new KmsException("rewrap under " + destination.ref() + " returned a key wrapped under "
            + rewrapped.keyRef(), false);
      }
      if (store.replaceWrapped(row.id(), w, rewrapped)) {
        return true;
      }
      // Changed meanwhile (destroyed, or rewrapped by someone else): look at it again.
      Optional<DataKeyRecord> again = store.find(row.id());
      if (again.isEmpty()) {
        return false;
      }
      row = again.get();
    }
    throw new EnvelopeException("data key " + DataKeyRecord.idToString(row.id())
        + " kept changing during rewrap; run the rewrap again");
  }

  // ---------------------------------------------------------------- blind indexes (§5)

  /**
   * The blind index {@code name} with {@code lengthBytes}-byte tokens (docs/fields.md §5). The same
   * name and length give the same tokens in every encryptor sharing the store, for as long as the
   * store's blind-index root key lives; the first call may create that root key (one master-key
   * call) or unwrap it (one master-key call).
   *
   * @param name the index's stable name, e.g. {@code users.email}; 1..255 bytes of UTF-8, not secret
   * @param lengthBytes token length, 4..32: shorter tokens collide more, which hides more and costs
   *     more false matches to filter out after decryption
   */
  public BlindIndex blindIndex(String name, int lengthBytes) {
    Objects.requireNonNull(name, "name");
    FieldFormat.checkIndexName(name, lengthBytes);
    checkOpen();
    BlindIndex index = indexes.computeIfAbsent(new IndexSlot(name, lengthBytes), this::deriveIndex);
    if (closed) {
      // close() may have emptied the map just before this index was added to it.
      index.destroy();
      checkOpen();
    }
    return index;
  }

  private BlindIndex deriveIndex(IndexSlot slot) {
    synchronized (indexLock) {
      checkOpen();
      if (indexRoot == null) {
        indexRoot = loadOrCreateIndexRoot();
      }
      byte[] key = Gcm.hkdfExpand(indexRoot.unsafeBytes(), FieldFormat.indexKeyInfo(slot.name(), slot.length()), 32);
      return new BlindIndex(slot.name(), slot.length(), new FieldKey(key, "HmacSHA256"));
    }
  }

  /** §5.1: the store's one root key, at the reserved id; the first writer wins a creation race. */
  private SecretBytes loadOrCreateIndexRoot() {
    Optional<DataKeyRecord> row = store.find(DataKeyRecord.INDEX_ROOT_ID);
    if (row.isEmpty()) {
      MasterKey mk = masterKey;
      try (DataKey dk = generate(mk, FieldFormat.indexRootContext())) {
        if (store.insert(DataKeyRecord.active(DataKeyRecord.INDEX_ROOT_ID, dk.wrapped(),
            clock.instant().truncatedTo(ChronoUnit.MICROS)))) {
          return SecretBytes.copyOf(dk.plaintext().unsafeBytes());
        }
      }
      row = store.find(DataKeyRecord.INDEX_ROOT_ID);
      if (row.isEmpty()) {
        throw new EnvelopeException("the blind-index root key row vanished from " + store);
      }
    }
    if (row.get().state() == DataKeyRecord.State.DESTROYED) {
      throw new KeyUnavailableException("the blind-index root key in " + store + " was destroyed");
    }
    return unwrap(row.get());
  }

  // ---------------------------------------------------------------- lifecycle

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("FieldEncryptor is closed");
    }
  }

  /** Zeroes every plaintext key this encryptor holds; later calls throw IllegalStateException. */
  @Override
  public void close() {
    closed = true;
    rotationLock.lock();
    try {
      Active a = current;
      current = null;
      if (a != null) {
        a.key.destroy();
      }
    } finally {
      rotationLock.unlock();
    }
    decryptKeys.invalidateAll();
    decryptKeys.cleanUp();
    synchronized (indexLock) {
      if (indexRoot != null) {
        indexRoot.destroy();
        indexRoot = null;
      }
      indexes.values().forEach(BlindIndex::destroy);
      indexes.clear();
    }
  }

  @Override
  public String toString() {
    return "FieldEncryptor[" + masterKey.ref() + ", " + store + (closed ? ", closed" : "") + "]";
  }

  // ---------------------------------------------------------------- builder

  /** Builds a {@link FieldEncryptor}; {@link #masterKey} and {@link #dataKeyStore} are required. */
  public static final class Builder {
    private MasterKey masterKey;
    private final List<MasterKey> alsoDecryptWith = new ArrayList<>();
    private DataKeyStore store;
    private DataKeyRotation rotation = DataKeyRotation.defaults();
    private int maxCachedKeys = 1000;
    private Duration cacheExpiry = Duration.ofMinutes(10);
    private KeyUsageListener listener = KeyUsageListener.noop();
    private Ticker ticker = Ticker.system();
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** Wraps new data keys, and unwraps rows it wrapped (any provider: local, AWS, GCP, Azure). */
    public Builder masterKey(MasterKey masterKey) {
      this.masterKey = Objects.requireNonNull(masterKey, "masterKey");
      return this;
    }

    /**
     * More master keys that may unwrap rows but never wrap new ones: the previous master key
     * during a master-key rotation (§6), or another region's replica.
     */
    public Builder alsoDecryptWith(MasterKey... keys) {
      for (MasterKey k : keys) {
        alsoDecryptWith.add(Objects.requireNonNull(k, "master key"));
      }
      return this;
    }

    /** Where data keys live: {@link DataKeyStore#inMemory()} or {@link JdbcDataKeyStore}. */
    public Builder dataKeyStore(DataKeyStore store) {
      this.store = Objects.requireNonNull(store, "dataKeyStore");
      return this;
    }

    /** When to start a new data key; default {@link DataKeyRotation#defaults()}. */
    public Builder rotation(DataKeyRotation rotation) {
      this.rotation = Objects.requireNonNull(rotation, "rotation");
      return this;
    }

    /** Unwrapped data keys kept for decryption; default 1000. */
    public Builder maxCachedKeys(int n) {
      if (n < 1 || n > 1_000_000) {
        throw new IllegalArgumentException("maxCachedKeys must be 1..1,000,000");
      }
      this.maxCachedKeys = n;
      return this;
    }

    /**
     * How long an unwrapped data key is used before its row is read again; bounds how long a
     * {@link FieldEncryptor#retire} or {@link FieldEncryptor#destroy} by another process takes to
     * reach this one. Default 10 minutes; each expiry of a decrypt key costs one master-key call.
     */
    public Builder cacheExpiry(Duration expiry) {
      Objects.requireNonNull(expiry, "expiry");
      if (expiry.isNegative() || expiry.isZero() || expiry.compareTo(Duration.ofDays(1)) > 0) {
        throw new IllegalArgumentException("cacheExpiry must be > 0 and at most 1 day");
      }
      this.cacheExpiry = expiry;
      return this;
    }

    /** Receives master-key calls and cache decisions (never key bytes or values). */
    public Builder listener(KeyUsageListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** Time source for rotation by age and cache expiry; tests pass a fake. */
    public Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker, "ticker");
      return this;
    }

    /** Wall clock for the {@code created} column of new rows. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** @throws IllegalStateException if the master key or the data-key store is missing */
    public FieldEncryptor build() {
      if (masterKey == null) {
        throw new IllegalStateException("masterKey is required");
      }
      if (store == null) {
        throw new IllegalStateException("dataKeyStore is required");
      }
      return new FieldEncryptor(this);
    }
  }
}
