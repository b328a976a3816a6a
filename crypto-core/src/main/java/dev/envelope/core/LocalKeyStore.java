package dev.envelope.core;

import dev.envelope.core.internal.Gcm;
import dev.envelope.core.internal.keyfile.AtomicFiles;
import dev.envelope.core.internal.keyfile.KdfParams;
import dev.envelope.core.internal.keyfile.KeyFileCodec;
import dev.envelope.core.internal.keyfile.KeyFileEntry;
import dev.envelope.core.internal.keyfile.KeyFileVersion;
import dev.envelope.core.internal.keyfile.KeyNames;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Function;
import javax.crypto.spec.SecretKeySpec;

/**
 * A key file holding named, versioned AES-256 master keys (format: docs/keyfile.md).
 *
 * <pre>{@code
 * LocalKeyStore store = LocalKeyStore.create(Path.of("keys.envk"));
 * LocalMasterKey orders = store.createKey("orders");
 * int v2 = store.rotate("orders");              // new wraps use version 2; version 1 still unwraps
 * MasterKey current = store.masterKey("orders");
 * }</pre>
 *
 * <p><b>Passphrase.</b> {@link #create(Path)} and {@link #open(Path)} read the passphrase from the
 * environment variable {@value #PASSPHRASE_ENV} when it is set; then the file's key section is
 * encrypted with AES-256-GCM under a key derived with Argon2id. Without it the file is plain
 * ({@link #isEncrypted()} is false) and its keys are protected by file permissions only. A plain
 * file is refused when a passphrase is given, so a swapped-in plain file cannot silently replace an
 * encrypted one.
 *
 * <p><b>Writes.</b> Every mutation re-reads the file under an exclusive lock (a sibling
 * {@code FILE.lock}, also honoured by other processes), applies the change, and atomically replaces
 * the file (temporary file, fsync, rename) with owner-only permissions where the file system is
 * POSIX. A crash leaves the old file or the new one, never a half-written one.
 *
 * <p><b>Reads.</b> {@link #masterKey}, {@link #list} serve the state as of {@link #open}, the last
 * mutation through this object, or {@link #reload()}. Each returned {@link LocalMasterKey} is an
 * immutable snapshot holding every version.
 *
 * <p><b>Errors.</b> {@link KeyFileException} for a file that is missing, foreign, corrupt, of an
 * unsupported version, unreadable, or cannot be decrypted with the passphrase (one message for a
 * wrong passphrase and a damaged encrypted section); {@link KeyUnavailableException} for a key name
 * the file lacks; {@link IllegalArgumentException} for an invalid or duplicate key name or an empty
 * passphrase; {@link IllegalStateException} when a limit (1024 keys, 1024 versions per key, 16384
 * versions in all) is reached.
 *
 * <p>Thread-safe.
 */
public final class LocalKeyStore {
  /** Environment variable read by {@link #create(Path)} and {@link #open(Path)}. */
  public static final String PASSPHRASE_ENV = "ENVELOPE_PASSPHRASE";

  private final Path path;
  private final String source;
  private final KdfParams kdf; // null for a plain file
  private final byte[] salt; // null for a plain file
  private final SecretKeySpec fileKey; // null for a plain file
  private final Clock clock;

  // Guarded by this.
  private Map<String, LocalMasterKey> keys = Map.of();
  private List<LocalKeyInfo> infos = List.of();

  private LocalKeyStore(Path path, KdfParams kdf, byte[] salt, SecretKeySpec fileKey, Clock clock) {
    this.path = path;
    this.source = path.toString();
    this.kdf = kdf;
    this.salt = salt;
    this.fileKey = fileKey;
    this.clock = clock;
  }

  /**
   * Creates an empty key file, encrypted when {@value #PASSPHRASE_ENV} is set.
   *
   * @throws KeyFileException if the file exists or cannot be written
   */
  public static LocalKeyStore create(Path path) {
    char[] passphrase = passphraseFrom(System::getenv);
    try {
      return create(path, passphrase);
    } finally {
      wipe(passphrase);
    }
  }

  /**
   * Creates an empty key file, encrypted under {@code passphrase}, or plain when it is null. Ignores
   * the environment. The caller keeps ownership of (and may zero) the passphrase array.
   *
   * @throws KeyFileException if the file exists or cannot be written
   * @throws IllegalArgumentException if the passphrase is empty
   */
  public static LocalKeyStore create(Path path, char[] passphrase) {
    return create(path, passphrase, KdfParams.DEFAULT, Clock.systemUTC());
  }

  /** Test hook: cheaper Argon2id parameters and a fixed clock. */
  static LocalKeyStore create(Path path, char[] passphrase, KdfParams kdfParams, Clock clock) {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(kdfParams, "kdfParams");
    Objects.requireNonNull(clock, "clock");
    if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
      // Checked again under the lock; this spares an Argon2 run in the common mistake.
      throw alreadyExists(path);
    }
    LocalKeyStore store;
    if (passphrase == null) {
      store = new LocalKeyStore(path, null, null, null, clock);
    } else {
      byte[] salt = new byte[KdfParams.SALT_LENGTH];
      Gcm.randomBytes(salt);
      store = new LocalKeyStore(path, kdfParams, salt, kdfParams.deriveKey(passphrase, salt), clock);
    }
    try (AtomicFiles.Locked lock = AtomicFiles.lock(path)) {
      store.write(List.of(), true);
    } catch (FileAlreadyExistsException e) {
      throw alreadyExists(path);
    } catch (IOException e) {
      throw new KeyFileException("cannot create key file " + path + ": " + describe(e), e);
    }
    return store;
  }

  /**
   * Opens a key file, decrypting it with {@value #PASSPHRASE_ENV} when that is set.
   *
   * @throws KeyFileException if the file is missing, not a key file, corrupt, encrypted without a
   *     passphrase being set, plain while one is set, or the passphrase is wrong
   */
  public static LocalKeyStore open(Path path) {
    char[] passphrase = passphraseFrom(System::getenv);
    try {
      return open(path, passphrase);
    } finally {
      wipe(passphrase);
    }
  }

  /**
   * Opens a key file with {@code passphrase}, or expecting a plain file when it is null. Ignores
   * the environment.
   *
   * @throws KeyFileException as {@link #open(Path)}
   */
  public static LocalKeyStore open(Path path, char[] passphrase) {
    return open(path, passphrase, Clock.systemUTC());
  }

  /** Test hook: a fixed clock for the creation times of later versions. */
  static LocalKeyStore open(Path path, char[] passphrase, Clock clock) {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(clock, "clock");
    String source = path.toString();
    byte[] raw = read(path, source);
    List<KeyFileEntry> entries = null;
    try {
      KeyFileCodec.Header header = KeyFileCodec.parseHeader(raw, source);
      if (header.encrypted() && passphrase == null) {
        throw new KeyFileException("key file " + source + " is encrypted: set " + PASSPHRASE_ENV
            + " to its passphrase");
      }
      if (!header.encrypted() && passphrase != null) {
        throw new KeyFileException("key file " + source + " is not encrypted, but a passphrase was given;"
            + " refusing a plain file where an encrypted one is expected");
      }
      SecretKeySpec key = header.encrypted() ? header.kdf().deriveKey(passphrase, header.salt()) : null;
      entries = KeyFileCodec.decodeBody(raw, header, key, source);
      LocalKeyStore store = new LocalKeyStore(path, header.kdf(), header.salt(), key, clock);
      store.install(entries);
      return store;
    } finally {
      Arrays.fill(raw, (byte) 0);
      KeyFileEntry.destroyAll(entries);
    }
  }

  /**
   * The passphrase from the environment: null when unset. An empty value is an error rather than a
   * silent plain file.
   */
  static char[] passphraseFrom(Function<String, String> environment) {
    String value = environment.apply(PASSPHRASE_ENV);
    if (value == null) {
      return null;
    }
    if (value.isEmpty()) {
      throw new IllegalArgumentException(PASSPHRASE_ENV + " is set but empty: unset it for a plain key file");
    }
    return value.toCharArray();
  }

  /**
   * Adds a key with a fresh random version 1.
   *
   * @throws IllegalArgumentException if the name is invalid or already in the file
   * @throws IllegalStateException if the file already holds the maximum number of keys
   */
  public synchronized LocalMasterKey createKey(String name) {
    KeyNames.check(name);
    mutate(entries -> {
      int index = indexOf(entries, name);
      if (index >= 0) {
        throw new IllegalArgumentException("key '" + name + "' already exists in " + source);
      }
      if (entries.size() >= KeyFileCodec.MAX_KEYS) {
        throw new IllegalStateException("key file " + source + " already holds " + KeyFileCodec.MAX_KEYS + " keys");
      }
      checkTotalVersions(entries);
      entries.add(-index - 1, new KeyFileEntry(name, 1, List.of(newVersion(1))));
    });
    return keys.get(name);
  }

  /**
   * A snapshot of the key with every version; wraps use the primary version.
   *
   * @throws KeyUnavailableException if the file has no such key
   * @throws IllegalArgumentException if the name is invalid
   */
  public synchronized LocalMasterKey masterKey(String name) {
    KeyNames.check(name);
    LocalMasterKey key = keys.get(name);
    if (key == null) {
      throw noSuchKey(name);
    }
    return key;
  }

  /**
   * Adds a fresh random version that becomes the primary; older versions keep unwrapping.
   *
   * @return the new version number
   * @throws KeyUnavailableException if the file has no such key
   * @throws IllegalStateException if the key already has the maximum number of versions
   */
  public synchronized int rotate(String name) {
    KeyNames.check(name);
    int[] added = new int[1];
    mutate(entries -> {
      int index = indexOf(entries, name);
      if (index < 0) {
        throw noSuchKey(name);
      }
      KeyFileEntry entry = entries.get(index);
      if (entry.versions().size() >= KeyFileCodec.MAX_VERSIONS_PER_KEY) {
        throw new IllegalStateException("key '" + name + "' already has " + KeyFileCodec.MAX_VERSIONS_PER_KEY
            + " versions");
      }
      if (entry.latestVersion() == Integer.MAX_VALUE) {
        throw new IllegalStateException("key '" + name + "' has no version number left");
      }
      checkTotalVersions(entries);
      int next = entry.latestVersion() + 1;
      List<KeyFileVersion> versions = new ArrayList<>(entry.versions());
      versions.add(newVersion(next));
      entries.set(index, new KeyFileEntry(name, next, versions));
      added[0] = next;
    });
    return added[0];
  }

  /** Every key's name, versions with creation times, and primary version, sorted by name. */
  public synchronized List<LocalKeyInfo> list() {
    return infos;
  }

  /** Re-reads the file, picking up changes other processes made since it was opened. */
  public synchronized void reload() {
    byte[] raw = read(path, source);
    List<KeyFileEntry> entries = null;
    try {
      entries = decodeSameProtection(raw);
      install(entries);
    } finally {
      Arrays.fill(raw, (byte) 0);
      KeyFileEntry.destroyAll(entries);
    }
  }

  /** False for a plain file, whose keys only file permissions protect. */
  public boolean isEncrypted() {
    return fileKey != null;
  }

  public Path path() {
    return path;
  }

  @Override
  public synchronized String toString() {
    return "LocalKeyStore[" + source + ", " + (isEncrypted() ? "encrypted" : "plain") + ", " + keys.size() + " keys]";
  }

  @FunctionalInterface
  private interface Change {
    void apply(List<KeyFileEntry> entries);
  }

  /** Read, change, write under the file lock, so concurrent writers in other processes lose nothing. */
  private void mutate(Change change) {
    byte[] raw = null;
    List<KeyFileEntry> entries = null;
    try (AtomicFiles.Locked lock = AtomicFiles.lock(path)) {
      raw = read(path, source);
      entries = new ArrayList<>(decodeSameProtection(raw));
      change.apply(entries);
      write(entries, false);
      install(entries);
    } catch (IOException e) {
      throw new KeyFileException("cannot update key file " + source + ": " + describe(e), e);
    } finally {
      if (raw != null) {
        Arrays.fill(raw, (byte) 0);
      }
      // Replaced entries share their versions with their replacements, so this zeroes every key.
      KeyFileEntry.destroyAll(entries);
    }
  }

  /**
   * Decodes the file with the key derived at open. A file now protected differently (plain, or
   * another salt) was replaced behind our back: refuse it rather than write our keys under it.
   */
  private List<KeyFileEntry> decodeSameProtection(byte[] raw) {
    KeyFileCodec.Header header = KeyFileCodec.parseHeader(raw, source);
    if (header.encrypted() != isEncrypted()
        || (isEncrypted() && (!header.kdf().equals(kdf) || !Arrays.equals(header.salt(), salt)))) {
      throw new KeyFileException("key file " + source + " was replaced by another file since it was opened;"
          + " open it again");
    }
    return KeyFileCodec.decodeBody(raw, header, fileKey, source);
  }

  private void write(List<KeyFileEntry> entries, boolean mustNotExist) throws IOException {
    byte[] bytes = KeyFileCodec.encode(entries, kdf, salt, fileKey);
    try {
      AtomicFiles.write(path, mustNotExist, channel -> {
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        while (buffer.hasRemaining()) {
          channel.write(buffer);
        }
      });
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  private void install(List<KeyFileEntry> entries) {
    Map<String, LocalMasterKey> newKeys = new TreeMap<>();
    List<LocalKeyInfo> newInfos = new ArrayList<>(entries.size());
    for (KeyFileEntry e : entries) {
      Map<Integer, byte[]> versions = new HashMap<>();
      List<LocalKeyInfo.Version> versionInfos = new ArrayList<>(e.versions().size());
      for (KeyFileVersion v : e.versions()) {
        versions.put(v.version(), v.key());
        versionInfos.add(new LocalKeyInfo.Version(v.version(), Instant.ofEpochMilli(v.createdEpochMillis())));
      }
      newKeys.put(e.name(), LocalMasterKey.ofVersions(e.name(), e.primary(), versions));
      newInfos.add(new LocalKeyInfo(e.name(), e.primary(), versionInfos));
    }
    keys = newKeys;
    infos = List.copyOf(newInfos);
  }

  private KeyFileVersion newVersion(int version) {
    byte[] key = new byte[KeyFileCodec.KEY_LENGTH];
    Gcm.randomBytes(key);
    return new KeyFileVersion(version, clock.millis(), key);
  }

  private void checkTotalVersions(List<KeyFileEntry> entries) {
    int total = 0;
    for (KeyFileEntry e : entries) {
      total += e.versions().size();
    }
    if (total >= KeyFileCodec.MAX_TOTAL_VERSIONS) {
      throw new IllegalStateException("key file " + source + " already holds " + KeyFileCodec.MAX_TOTAL_VERSIONS
          + " key versions");
    }
  }

  /** Binary search by name; entries are sorted. Returns {@code -(insertion point) - 1} when absent. */
  private static int indexOf(List<KeyFileEntry> entries, String name) {
    int lo = 0;
    int hi = entries.size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int c = entries.get(mid).name().compareTo(name);
      if (c < 0) {
        lo = mid + 1;
      } else if (c > 0) {
        hi = mid - 1;
      } else {
        return mid;
      }
    }
    return -lo - 1;
  }

  private static byte[] read(Path path, String source) {
    try {
      return AtomicFiles.readBounded(path, KeyFileCodec.MAX_FILE_SIZE);
    } catch (NoSuchFileException e) {
      throw new KeyFileException("key file does not exist: " + source, e);
    } catch (IOException e) {
      throw new KeyFileException("cannot read key file " + source + ": " + describe(e), e);
    }
  }

  private KeyUnavailableException noSuchKey(String name) {
    return new KeyUnavailableException("no key '" + name + "' in key file " + source);
  }

  private static KeyFileException alreadyExists(Path path) {
    return new KeyFileException("key file already exists: " + path);
  }

  private static String describe(IOException e) {
    return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : " " + e.getMessage());
  }

  private static void wipe(char[] chars) {
    if (chars != null) {
      Arrays.fill(chars, '\0');
    }
  }
}
