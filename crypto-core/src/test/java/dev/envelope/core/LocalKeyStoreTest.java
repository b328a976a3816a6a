package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import dev.envelope.core.internal.keyfile.KdfParams;
import dev.envelope.core.internal.keyfile.KeyFileCodec;
import dev.envelope.core.internal.keyfile.KeyFileEntry;
import dev.envelope.core.internal.keyfile.KeyFileVersion;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalKeyStoreTest {
  /** Cheap Argon2id so encrypted-file tests stay fast; the defaults get one test of their own. */
  static final KdfParams FAST_KDF = new KdfParams(64, 1, 1);
  private static final char[] PASSPHRASE = "correct horse battery staple".toCharArray();
  private static final EncryptionContext CTX = EncryptionContext.of("tenant", "42");

  @TempDir
  Path dir;

  /** A clock tests move by hand. */
  static final class TestClock extends Clock {
    Instant now;

    TestClock(Instant now) {
      this.now = now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }

  private Path file() {
    return dir.resolve("keys.envk");
  }

  private static SecretBytes dataKey() {
    return SecretBytes.wrap(LocalMasterKeyTest.seq(0x70));
  }

  private LocalKeyStore plainStore() {
    return LocalKeyStore.create(file(), null);
  }

  private LocalKeyStore encryptedStore() {
    return LocalKeyStore.create(file(), PASSPHRASE, FAST_KDF, Clock.systemUTC());
  }

  @Test
  void create_plainStore_isEmptyAndPlain() {
    LocalKeyStore store = plainStore();

    assertThat(store.isEncrypted()).isFalse();
    assertThat(store.list()).isEmpty();
    assertThat(store.path()).isEqualTo(file());
    assertThat(file()).exists();
    assertThat(LocalKeyStore.open(file(), null).list()).isEmpty();
  }

  @Test
  void createKey_thenWrap_unwrapsThroughReopenedStore() {
    LocalKeyStore store = plainStore();
    LocalMasterKey key = store.createKey("orders");
    WrappedKey wrapped = key.wrap(dataKey(), CTX);

    LocalMasterKey reopened = LocalKeyStore.open(file(), null).masterKey("orders");

    assertThat(key.version()).isEqualTo(1);
    assertThat(wrapped.version()).isEqualTo("1");
    assertThat(reopened.unwrap(wrapped, CTX)).isEqualTo(dataKey());
    assertThat(store.masterKey("orders").unwrap(wrapped, CTX)).isEqualTo(dataKey());
  }

  @Test
  void create_fileExists_throwsKeyFileExceptionAndLeavesFile() throws IOException {
    Files.writeString(file(), "precious");

    assertThatThrownBy(() -> LocalKeyStore.create(file(), null))
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("already exists");
    assertThatThrownBy(() -> LocalKeyStore.create(file(), PASSPHRASE)).isInstanceOf(KeyFileException.class);
    assertThat(Files.readString(file())).isEqualTo("precious");
  }

  @Test
  void open_missingFile_throwsKeyFileException() {
    assertThatThrownBy(() -> LocalKeyStore.open(dir.resolve("absent.envk"), null))
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("does not exist");
  }

  @Test
  void createKey_duplicateName_throwsIllegalArgument() {
    LocalKeyStore store = plainStore();
    LocalMasterKey first = store.createKey("orders");

    assertThatThrownBy(() -> store.createKey("orders"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("already exists");
    WrappedKey wrapped = first.wrap(dataKey(), CTX);
    assertThat(LocalKeyStore.open(file(), null).masterKey("orders").unwrap(wrapped, CTX)).isEqualTo(dataKey());
  }

  @Test
  void createKey_invalidName_throwsIllegalArgument() {
    LocalKeyStore store = plainStore();

    assertThatThrownBy(() -> store.createKey("bad name")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.createKey("a".repeat(129))).isInstanceOf(IllegalArgumentException.class);
    assertThat(store.list()).isEmpty();
  }

  @Test
  void masterKey_absentName_throwsKeyUnavailable() {
    LocalKeyStore store = plainStore();
    store.createKey("orders");

    assertThatThrownBy(() -> store.masterKey("billing"))
        .isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("billing");
    assertThatThrownBy(() -> store.rotate("billing")).isInstanceOf(KeyUnavailableException.class);
  }

  @Test
  void rotate_oldWrapsStillUnwrap_newWrapsCarryNewVersion() {
    LocalKeyStore store = plainStore();
    LocalMasterKey v1 = store.createKey("orders");
    WrappedKey old = v1.wrap(dataKey(), CTX);

    int v2 = store.rotate("orders");
    LocalMasterKey current = store.masterKey("orders");
    WrappedKey fresh = current.wrap(dataKey(), CTX);

    assertThat(v2).isEqualTo(2);
    assertThat(current.version()).isEqualTo(2);
    assertThat(current.versions()).containsExactly(1, 2);
    assertThat(fresh.version()).isEqualTo("2");
    assertThat(current.unwrap(old, CTX)).isEqualTo(dataKey());
    // The snapshot taken before the rotation is unchanged: it still wraps with, and only knows, version 1.
    assertThat(v1.version()).isEqualTo(1);
    assertThat(v1.wrap(dataKey(), CTX).version()).isEqualTo("1");
    assertThatThrownBy(() -> v1.unwrap(fresh, CTX)).isInstanceOf(KeyUnavailableException.class);
    assertThat(store.rotate("orders")).isEqualTo(3);
  }

  @Test
  void open_afterMutations_everythingStillThere() {
    TestClock clock = new TestClock(Instant.parse("2026-03-01T10:00:00.123Z"));
    LocalKeyStore store = LocalKeyStore.create(file(), null, FAST_KDF, clock);
    WrappedKey ordersV1 = store.createKey("orders").wrap(dataKey(), CTX);
    clock.now = Instant.parse("2026-03-02T10:00:00Z");
    store.createKey("billing");
    clock.now = Instant.parse("2026-04-01T00:00:00Z");
    store.rotate("orders");
    WrappedKey ordersV2 = store.masterKey("orders").wrap(dataKey(), CTX);
    WrappedKey billingV1 = store.masterKey("billing").wrap(dataKey(), CTX);

    LocalKeyStore reopened = LocalKeyStore.open(file(), null);

    assertThat(reopened.list()).containsExactly(
        new LocalKeyInfo("billing", 1, List.of(new LocalKeyInfo.Version(1, Instant.parse("2026-03-02T10:00:00Z")))),
        new LocalKeyInfo("orders", 2, List.of(
            new LocalKeyInfo.Version(1, Instant.parse("2026-03-01T10:00:00.123Z")),
            new LocalKeyInfo.Version(2, Instant.parse("2026-04-01T00:00:00Z")))));
    assertThat(reopened.list()).isEqualTo(store.list());
    assertThat(reopened.list().get(1).primary().created()).isEqualTo(Instant.parse("2026-04-01T00:00:00Z"));
    assertThat(reopened.masterKey("orders").unwrap(ordersV1, CTX)).isEqualTo(dataKey());
    assertThat(reopened.masterKey("orders").unwrap(ordersV2, CTX)).isEqualTo(dataKey());
    assertThat(reopened.masterKey("billing").unwrap(billingV1, CTX)).isEqualTo(dataKey());
    assertThat(reopened.masterKey("orders").wrap(dataKey(), CTX).version()).isEqualTo("2");
  }

  @Test
  void list_anyStore_isImmutableAndHoldsNoKeyMaterial() {
    LocalKeyStore store = plainStore();
    store.createKey("orders");

    List<LocalKeyInfo> list = store.list();

    assertThatThrownBy(() -> list.add(list.get(0))).isInstanceOf(UnsupportedOperationException.class);
    assertThat(LocalKeyInfo.class.getRecordComponents()).extracting(c -> c.getName())
        .containsExactly("name", "primaryVersion", "versions");
    assertThat(LocalKeyInfo.Version.class.getRecordComponents()).extracting(c -> c.getName())
        .containsExactly("version", "created");
  }

  @Test
  void encryptedStore_roundTrip_reopensWithPassphrase() {
    LocalKeyStore store = encryptedStore();
    WrappedKey v1 = store.createKey("orders").wrap(dataKey(), CTX);
    store.rotate("orders");

    LocalKeyStore reopened = LocalKeyStore.open(file(), PASSPHRASE.clone());

    assertThat(store.isEncrypted()).isTrue();
    assertThat(reopened.isEncrypted()).isTrue();
    assertThat(reopened.masterKey("orders").version()).isEqualTo(2);
    assertThat(reopened.masterKey("orders").unwrap(v1, CTX)).isEqualTo(dataKey());
    assertThat(reopened.rotate("orders")).isEqualTo(3);
    assertThat(LocalKeyStore.open(file(), PASSPHRASE.clone()).masterKey("orders").versions()).containsExactly(1, 2, 3);
  }

  @Test
  void encryptedStore_fileBytes_doNotContainKeys() throws IOException {
    LocalKeyStore store = encryptedStore();
    store.createKey("orders");
    store.rotate("orders");
    byte[] raw = Files.readAllBytes(file());

    KeyFileCodec.Header header = KeyFileCodec.parseHeader(raw, "test");
    List<KeyFileEntry> entries = KeyFileCodec.decodeBody(raw, header,
        header.kdf().deriveKey(PASSPHRASE, header.salt()), "test");

    assertThat(header.kdf()).isEqualTo(FAST_KDF);
    assertThat(entries.get(0).versions()).hasSize(2);
    for (KeyFileVersion v : entries.get(0).versions()) {
      assertThat(indexOf(raw, v.key())).isEqualTo(-1);
      assertThat(indexOf(raw, Arrays.copyOf(v.key(), 8))).isEqualTo(-1);
    }
    assertThat(indexOf(raw, "orders".getBytes())).isEqualTo(-1);
  }

  @Test
  void plainStore_fileBytes_containKeysInClear() throws IOException {
    // The counterpart of the test above, showing that search would find keys if they were there.
    plainStore().createKey("orders");
    byte[] raw = Files.readAllBytes(file());

    List<KeyFileEntry> entries = KeyFileCodec.decodeBody(raw, KeyFileCodec.parseHeader(raw, "t"), null, "t");

    assertThat(indexOf(raw, entries.get(0).versions().get(0).key())).isPositive();
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  @Test
  void open_wrongPassphrase_throwsTypedErrorWithoutPassphrase() {
    encryptedStore().createKey("orders");

    assertThatThrownBy(() -> LocalKeyStore.open(file(), "Tr0ub4dor&3".toCharArray()))
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("wrong passphrase, or the file is damaged")
        .hasMessageNotContaining("Tr0ub4dor");
  }

  @Test
  void open_encryptedFileWithoutPassphrase_namesTheVariable() {
    encryptedStore().createKey("orders");

    assertThatThrownBy(() -> LocalKeyStore.open(file(), null))
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("encrypted")
        .hasMessageContaining("ENVELOPE_PASSPHRASE");
  }

  @Test
  void open_plainFileWithPassphrase_refusesDowngrade() {
    plainStore().createKey("orders");

    assertThatThrownBy(() -> LocalKeyStore.open(file(), PASSPHRASE))
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("not encrypted");
  }

  @Test
  void create_emptyPassphrase_throwsIllegalArgumentAndWritesNothing() {
    assertThatThrownBy(() -> LocalKeyStore.create(file(), new char[0])).isInstanceOf(IllegalArgumentException.class);
    assertThat(file()).doesNotExist();
  }

  @Test
  void passphraseFrom_environment_unsetSetOrEmpty() {
    assertThat(LocalKeyStore.passphraseFrom(name -> null)).isNull();
    assertThat(LocalKeyStore.passphraseFrom(Map.of("ENVELOPE_PASSPHRASE", "s3cret")::get)).containsExactly('s', '3',
        'c', 'r', 'e', 't');
    assertThat(LocalKeyStore.passphraseFrom(Map.of("OTHER", "x")::get)).isNull();
    assertThatThrownBy(() -> LocalKeyStore.passphraseFrom(Map.of("ENVELOPE_PASSPHRASE", "")::get))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
  }

  @Test
  void create_defaultKdfParameters_roundTrip() throws IOException {
    LocalKeyStore store = LocalKeyStore.create(file(), PASSPHRASE);
    WrappedKey wrapped = store.createKey("orders").wrap(dataKey(), CTX);

    LocalKeyStore reopened = LocalKeyStore.open(file(), PASSPHRASE);

    assertThat(KeyFileCodec.parseHeader(Files.readAllBytes(file()), "t").kdf()).isEqualTo(KdfParams.DEFAULT);
    assertThat(KdfParams.DEFAULT).isEqualTo(new KdfParams(65536, 3, 1));
    assertThat(reopened.masterKey("orders").unwrap(wrapped, CTX)).isEqualTo(dataKey());
  }

  @Test
  void everyWrite_leavesOwnerOnlyPermissionsAndNoTempFiles() throws IOException {
    assumeThat(file().getFileSystem().supportedFileAttributeViews()).contains("posix");
    LocalKeyStore store = plainStore();
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file()))).isEqualTo("rw-------");

    store.createKey("orders");
    Files.setPosixFilePermissions(file(), PosixFilePermissions.fromString("rw-r--r--"));
    store.rotate("orders");

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file()))).isEqualTo("rw-------");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("keys.envk.lock"))))
        .isEqualTo("rw-------");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("keys.envk", "keys.envk.lock");
    }
  }

  @Test
  void encryptedStore_permissionsAreOwnerOnly() throws IOException {
    assumeThat(file().getFileSystem().supportedFileAttributeViews()).contains("posix");
    encryptedStore().createKey("orders");

    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file()))).isEqualTo("rw-------");
  }

  @Test
  void mutate_afterAnotherInstanceWrote_losesNothing() {
    LocalKeyStore a = plainStore();
    a.createKey("orders");
    LocalKeyStore b = LocalKeyStore.open(file(), null);
    b.rotate("orders");

    a.createKey("billing");

    LocalKeyStore reopened = LocalKeyStore.open(file(), null);
    assertThat(reopened.masterKey("orders").version()).isEqualTo(2);
    assertThat(reopened.masterKey("billing").version()).isEqualTo(1);
    assertThat(a.masterKey("orders").version()).isEqualTo(2);
  }

  @Test
  void reload_afterAnotherInstanceRotated_seesNewVersion() {
    LocalKeyStore a = plainStore();
    a.createKey("orders");
    LocalKeyStore.open(file(), null).rotate("orders");
    assertThat(a.masterKey("orders").version()).isEqualTo(1);

    a.reload();

    assertThat(a.masterKey("orders").version()).isEqualTo(2);
  }

  @Test
  void concurrentRotations_fromTwoInstancesAndManyThreads_allRecorded() throws Exception {
    LocalKeyStore a = encryptedStore();
    a.createKey("orders");
    LocalKeyStore b = LocalKeyStore.open(file(), PASSPHRASE);
    int threads = 8;
    int perThread = 5;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<List<Integer>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        LocalKeyStore store = t % 2 == 0 ? a : b;
        results.add(pool.submit(() -> {
          List<Integer> versions = new ArrayList<>();
          for (int i = 0; i < perThread; i++) {
            versions.add(store.rotate("orders"));
          }
          return versions;
        }));
      }
      List<Integer> all = new ArrayList<>();
      for (Future<List<Integer>> f : results) {
        all.addAll(f.get());
      }

      assertThat(all).doesNotHaveDuplicates().hasSize(threads * perThread);
      LocalMasterKey last = LocalKeyStore.open(file(), PASSPHRASE).masterKey("orders");
      assertThat(last.versions()).hasSize(1 + threads * perThread);
      assertThat(last.version()).isEqualTo(1 + threads * perThread);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void concurrentRotations_fromAnotherProcess_allRecorded() throws Exception {
    LocalKeyStore store = plainStore();
    store.createKey("orders");
    int each = 40;
    Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child = new ProcessBuilder(javaBin.toString(), "-cp", System.getProperty("java.class.path"),
        RotateInAnotherProcess.class.getName(), file().toString(), "orders", Integer.toString(each))
        .redirectErrorStream(true)
        .start();
    BufferedReader childOut = new BufferedReader(new InputStreamReader(child.getInputStream()));
    // Start rotating only once the child is about to, so the two really overlap.
    assertThat(childOut.readLine()).isEqualTo("ready");
    for (int i = 0; i < each; i++) {
      store.rotate("orders");
    }
    String output = childOut.lines().collect(Collectors.joining("\n"));
    assertThat(child.waitFor()).as(output).isZero();

    LocalMasterKey key = LocalKeyStore.open(file(), null).masterKey("orders");

    assertThat(key.versions()).hasSize(1 + 2 * each);
    assertThat(key.version()).isEqualTo(1 + 2 * each);
  }

  @Test
  void mutate_fileReplacedByPlainFile_refusesToWriteKeys() throws IOException {
    LocalKeyStore encrypted = encryptedStore();
    encrypted.createKey("orders");
    Path other = dir.resolve("other.envk");
    LocalKeyStore.create(other, null).createKey("orders");
    Files.move(other, file(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    byte[] swapped = Files.readAllBytes(file());

    assertThatThrownBy(() -> encrypted.rotate("orders"))
        .isInstanceOf(KeyFileException.class)
        .hasMessageContaining("replaced");
    assertThat(Files.readAllBytes(file())).isEqualTo(swapped);
  }

  @Test
  void rotate_keyAtVersionLimit_throwsIllegalState() throws IOException {
    List<KeyFileVersion> versions = new ArrayList<>();
    for (int v = 1; v <= KeyFileCodec.MAX_VERSIONS_PER_KEY; v++) {
      versions.add(new KeyFileVersion(v, 0, new byte[32]));
    }
    Files.write(file(), KeyFileCodec.encode(List.of(new KeyFileEntry("orders", 1024, versions)), null, null, null));
    LocalKeyStore store = LocalKeyStore.open(file(), null);
    byte[] before = Files.readAllBytes(file());

    assertThatThrownBy(() -> store.rotate("orders"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("1024");
    assertThat(Files.readAllBytes(file())).isEqualTo(before);
  }

  @Test
  void createKey_fileAtKeyLimit_throwsIllegalState() throws IOException {
    List<KeyFileEntry> entries = new ArrayList<>();
    for (int k = 0; k < KeyFileCodec.MAX_KEYS; k++) {
      entries.add(new KeyFileEntry(String.format("k%04d", k), 1, List.of(new KeyFileVersion(1, 0, new byte[32]))));
    }
    Files.write(file(), KeyFileCodec.encode(entries, null, null, null));
    LocalKeyStore store = LocalKeyStore.open(file(), null);

    assertThatThrownBy(() -> store.createKey("zzz")).isInstanceOf(IllegalStateException.class);
    assertThat(LocalKeyStore.open(file(), null).list()).hasSize(KeyFileCodec.MAX_KEYS);
  }

  @Test
  void open_everyTruncation_throwsKeyFileException() throws IOException {
    for (boolean encrypted : new boolean[] {false, true}) {
      Path f = dir.resolve("src-" + encrypted + ".envk");
      LocalKeyStore store = encrypted ? LocalKeyStore.create(f, PASSPHRASE, FAST_KDF, Clock.systemUTC())
          : LocalKeyStore.create(f, null);
      store.createKey("orders");
      store.rotate("orders");
      byte[] good = Files.readAllBytes(f);
      Path damaged = dir.resolve("damaged.envk");
      for (int len = 0; len < good.length; len++) {
        Files.write(damaged, Arrays.copyOf(good, len));
        assertThatThrownBy(() -> LocalKeyStore.open(damaged, encrypted ? PASSPHRASE : null))
            .as("truncated to %d of %d bytes", len, good.length)
            .isExactlyInstanceOf(KeyFileException.class);
      }
    }
  }

  @Test
  void open_bitFlips_throwKeyFileException() throws IOException {
    for (boolean encrypted : new boolean[] {false, true}) {
      Path f = dir.resolve("src-" + encrypted + ".envk");
      LocalKeyStore store = encrypted ? LocalKeyStore.create(f, PASSPHRASE, FAST_KDF, Clock.systemUTC())
          : LocalKeyStore.create(f, null);
      store.createKey("orders");
      byte[] good = Files.readAllBytes(f);
      Path damaged = dir.resolve("damaged.envk");
      Random random = new Random(42);
      // Every bit of the fixed header fields, then a sample across the rest (KeyFileCodecTest flips
      // every bit of a key section behind a recomputed checksum).
      List<Integer> bits = new ArrayList<>();
      for (int bit = 0; bit < 24 * 8; bit++) {
        bits.add(bit);
      }
      for (int i = 0; i < 150; i++) {
        bits.add(random.nextInt(good.length * 8));
      }
      for (int bit : bits) {
        byte[] bad = good.clone();
        bad[bit / 8] ^= (byte) (1 << (bit % 8));
        Files.write(damaged, bad);
        assertThatThrownBy(() -> LocalKeyStore.open(damaged, encrypted ? PASSPHRASE : null))
            .as("bit %d flipped", bit)
            .isExactlyInstanceOf(KeyFileException.class);
      }
    }
  }

  @Test
  void open_foreignFiles_throwKeyFileException() throws IOException {
    Path f = dir.resolve("foreign");
    Random random = new Random(7);
    List<byte[]> samples = new ArrayList<>(List.of(new byte[0], "hello\n".getBytes(),
        "{\"keys\":[]}".getBytes(), new byte[100]));
    for (int i = 0; i < 50; i++) {
      byte[] b = new byte[random.nextInt(300)];
      random.nextBytes(b);
      samples.add(b);
    }
    for (byte[] sample : samples) {
      Files.write(f, sample);
      assertThatThrownBy(() -> LocalKeyStore.open(f, null)).isExactlyInstanceOf(KeyFileException.class)
          .hasMessageContaining("not an Envelope key file");
    }
  }

  @Test
  void open_hugeFile_throwsKeyFileExceptionWithoutReadingItAll() throws IOException {
    plainStore();
    byte[] header = Files.readAllBytes(file());
    try (var out = Files.newOutputStream(file(), java.nio.file.StandardOpenOption.APPEND)) {
      out.write(new byte[KeyFileCodec.MAX_FILE_SIZE]);
    }
    assertThat(header).isNotEmpty();

    assertThatThrownBy(() -> LocalKeyStore.open(file(), null))
        .isExactlyInstanceOf(KeyFileException.class)
        .hasMessageContaining("larger than");
  }

  @Test
  void open_knownAnswerFiles_readAsWritten() throws Exception {
    for (String name : List.of("v1-plain.envk", "v1-encrypted.envk")) {
      Path f = dir.resolve(name);
      try (var in = LocalKeyStoreTest.class.getResourceAsStream("/keyfile/" + name)) {
        Files.write(f, in.readAllBytes());
      }
      boolean encrypted = name.contains("encrypted");

      LocalKeyStore store = LocalKeyStore.open(f, encrypted ? PASSPHRASE : null);

      assertThat(store.isEncrypted()).isEqualTo(encrypted);
      assertThat(store.list()).containsExactly(
          new LocalKeyInfo("billing", 1, List.of(new LocalKeyInfo.Version(1, Instant.parse("2026-01-01T00:00:00Z")))),
          new LocalKeyInfo("orders", 2, List.of(
              new LocalKeyInfo.Version(1, Instant.parse("2026-01-01T00:00:00Z")),
              new LocalKeyInfo.Version(2, Instant.parse("2026-06-01T12:30:00.250Z")))));
      WrappedKey underV1 = LocalMasterKey.of("orders", LocalMasterKeyTest.seq(0x00)).wrap(dataKey(), CTX);
      WrappedKey underV2 = LocalMasterKey.ofVersions("orders", 2, Map.of(2, LocalMasterKeyTest.seq(0x20)))
          .wrap(dataKey(), CTX);
      WrappedKey billing = LocalMasterKey.of("billing", LocalMasterKeyTest.seq(0x40)).wrap(dataKey(), CTX);
      assertThat(store.masterKey("orders").unwrap(underV1, CTX)).isEqualTo(dataKey());
      assertThat(store.masterKey("orders").unwrap(underV2, CTX)).isEqualTo(dataKey());
      assertThat(store.masterKey("billing").unwrap(billing, CTX)).isEqualTo(dataKey());
    }
  }

  @Test
  void toString_anyStore_showsPathAndModeOnly() {
    LocalKeyStore store = encryptedStore();
    store.createKey("orders");

    assertThat(store.toString()).contains("keys.envk").contains("encrypted").contains("1 keys")
        .doesNotContain(new String(PASSPHRASE));
    assertThat(plainStore0().toString()).contains("plain");
  }

  private LocalKeyStore plainStore0() {
    return LocalKeyStore.create(dir.resolve("plain.envk"), null);
  }
}
