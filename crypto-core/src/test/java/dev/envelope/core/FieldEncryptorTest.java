package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class FieldEncryptorTest {
  static final EncryptionContext CTX = EncryptionContext.of("table", "users", "column", "ssn", "id", "42", "tenant", "acme");

  final TestMasterKey master = new TestMasterKey("fields");
  final CountingDataKeyStore store = new CountingDataKeyStore(DataKeyStore.inMemory());
  final FakeTicker ticker = new FakeTicker();
  final List<FieldEncryptor> opened = new ArrayList<>();

  FieldEncryptor.Builder builder() {
    return FieldEncryptor.builder().masterKey(master).dataKeyStore(store).ticker(ticker);
  }

  FieldEncryptor open(FieldEncryptor.Builder b) {
    FieldEncryptor f = b.build();
    opened.add(f);
    return f;
  }

  FieldEncryptor fields() {
    return open(builder());
  }

  @AfterEach
  void closeAll() {
    opened.forEach(FieldEncryptor::close);
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  // ---------------------------------------------------------------- format

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 11, 100, 4096, 1 << 20})
  void encrypt_anySize_roundTripsWith37BytesOverhead(int size) {
    FieldEncryptor fields = fields();
    byte[] pt = random(size);
    byte[] v = fields.encrypt(pt, CTX);
    assertThat(v).hasSize(size + 37);
    assertThat(v.length - size).isEqualTo(FieldEncryptor.OVERHEAD).isLessThanOrEqualTo(48);
    assertThat(fields.decrypt(v, CTX)).isEqualTo(pt);
  }

  @Test
  void encrypt_layout_matchesDocsFieldsSection2() {
    FieldEncryptor fields = fields();
    byte[] v1 = fields.encrypt(random(16), CTX);
    byte[] v2 = fields.encrypt(random(16), CTX);
    assertThat(v1[0]).isEqualTo((byte) 0x01);
    // Same data key id in bytes 1..8, different random nonces in 9..20.
    assertThat(java.util.Arrays.copyOfRange(v1, 1, 9)).isEqualTo(java.util.Arrays.copyOfRange(v2, 1, 9));
    assertThat(java.util.Arrays.copyOfRange(v1, 9, 21)).isNotEqualTo(java.util.Arrays.copyOfRange(v2, 9, 21));
    long id = FieldEncryptor.dataKeyIdOf(v1);
    assertThat(store.delegate.find(id)).get().extracting(DataKeyRecord::state).isEqualTo(DataKeyRecord.State.ACTIVE);
  }

  @Test
  void encrypt_sameValueTwice_givesDifferentValues() {
    FieldEncryptor fields = fields();
    byte[] pt = "123-45-6789".getBytes(StandardCharsets.UTF_8);
    assertThat(fields.encrypt(pt, CTX)).isNotEqualTo(fields.encrypt(pt, CTX));
  }

  // Every bit flip, truncation and extension: AdversarialFieldTest (every plaintext size 0..64).

  static Stream<Arguments> otherContexts() {
    return Stream.of(
        Arguments.of("another row", EncryptionContext.of("table", "users", "column", "ssn", "id", "43", "tenant", "acme")),
        Arguments.of("another column", EncryptionContext.of("table", "users", "column", "email", "id", "42", "tenant", "acme")),
        Arguments.of("another table", EncryptionContext.of("table", "admins", "column", "ssn", "id", "42", "tenant", "acme")),
        Arguments.of("another tenant", EncryptionContext.of("table", "users", "column", "ssn", "id", "42", "tenant", "evil")),
        Arguments.of("a missing pair", EncryptionContext.of("table", "users", "column", "ssn", "id", "42")),
        Arguments.of("an extra pair", CTX.with("extra", "x")),
        Arguments.of("empty", EncryptionContext.empty()));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("otherContexts")
  void decrypt_wrongContext_throwsInvalidCiphertextWithoutValues(String what, EncryptionContext other) {
    FieldEncryptor fields = fields();
    byte[] v = fields.encrypt("123-45-6789".getBytes(StandardCharsets.UTF_8), CTX);
    assertThatThrownBy(() -> fields.decrypt(v, other))
        .isExactlyInstanceOf(InvalidCiphertextException.class)
        .hasMessage(InvalidCiphertextException.MESSAGE)
        .hasMessageNotContaining("acme").hasMessageNotContaining("42");
  }

  @Test
  void decrypt_nonFieldInput_throwsInvalidCiphertextWithoutTouchingTheStore() {
    FieldEncryptor fields = fields();
    Random r = new Random(7);
    int before = store.calls();
    for (int i = 0; i < 1000; i++) {
      byte[] junk = new byte[37 + r.nextInt(40)];
      r.nextBytes(junk);
      junk[0] = 0x01;
      assertThatThrownBy(() -> fields.decrypt(junk, CTX)).isExactlyInstanceOf(InvalidCiphertextException.class);
    }
    // The id check (docs/fields.md §2.1) rejects random ids before any table read.
    assertThat(store.calls()).isEqualTo(before);
  }

  // ---------------------------------------------------------------- text form

  @Test
  void encryptToString_roundTripsAsUrlSafeBase64() {
    FieldEncryptor fields = fields();
    for (int size = 0; size < 8; size++) {
      byte[] pt = random(size);
      String s = fields.encryptToString(pt, CTX);
      assertThat(s).matches("[A-Za-z0-9_-]+");
      assertThat(fields.decryptFromString(s, CTX)).isEqualTo(pt);
    }
  }

  @Test
  void decryptFromString_nonCanonicalText_throwsInvalidCiphertext() {
    FieldEncryptor fields = fields();
    for (int size = 0; size < 3; size++) {
      String s = fields.encryptToString(random(size), CTX);
      List<String> bad = new ArrayList<>(List.of(s + "=", s.substring(1), s + "A", " " + s, s.replace('A', '+'),
          s.substring(0, s.length() - 1) + "!", ""));
      // Flipping an unused trailing bit would decode to the same bytes: it must still be refused.
      if (s.length() % 4 != 0) {
        char last = s.charAt(s.length() - 1);
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        bad.add(s.substring(0, s.length() - 1) + alphabet.charAt(alphabet.indexOf(last) ^ 1));
      }
      for (String b : bad) {
        if (!b.equals(s)) {
          assertThatThrownBy(() -> fields.decryptFromString(b, CTX)).as(b)
              .isExactlyInstanceOf(InvalidCiphertextException.class);
        }
      }
    }
  }

  // ---------------------------------------------------------------- keys: warm, cold, missing

  @Test
  void encryptAndDecrypt_warm_makeNoMasterKeyCallAndNoTableAccess() {
    FieldEncryptor fields = fields();
    byte[] first = fields.encrypt(random(100), CTX);
    assertThat(master.generates).hasValue(1);
    int calls = master.callCount();
    int storeCalls = store.calls();
    for (int i = 0; i < 10_000; i++) {
      byte[] pt = random(i % 200);
      assertThat(fields.decrypt(fields.encrypt(pt, CTX), CTX)).isEqualTo(pt);
    }
    fields.decrypt(first, CTX);
    assertThat(master.callCount()).isEqualTo(calls);
    assertThat(store.calls()).isEqualTo(storeCalls);
  }

  @Test
  void decrypt_coldKeyInAnotherEncryptor_costsOneUnwrapThenNone() {
    FieldEncryptor writer = fields();
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      values.add(writer.encrypt(random(i), CTX));
    }
    FieldEncryptor reader = fields();
    int unwraps = master.unwraps.get();
    for (int i = 0; i < 50; i++) {
      assertThat(reader.decrypt(values.get(i), CTX)).isEqualTo(random(i));
    }
    assertThat(master.unwraps.get() - unwraps).isEqualTo(1);
  }

  @Test
  void decrypt_keyNotInStore_throwsKeyUnavailable() {
    FieldEncryptor writer = fields();
    byte[] v = writer.encrypt(random(10), CTX);
    FieldEncryptor elsewhere = open(FieldEncryptor.builder().masterKey(master).dataKeyStore(DataKeyStore.inMemory()));
    assertThatThrownBy(() -> elsewhere.decrypt(v, CTX))
        .isExactlyInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining(DataKeyRecord.idToString(FieldEncryptor.dataKeyIdOf(v)))
        .hasMessageContaining("not in");
  }

  @Test
  void decrypt_rowUnderAnotherMasterKey_throwsKeyUnavailableNamingIt() {
    byte[] v = fields().encrypt(random(10), CTX);
    FieldEncryptor other = open(FieldEncryptor.builder().masterKey(new TestMasterKey("other")).dataKeyStore(store));
    assertThatThrownBy(() -> other.decrypt(v, CTX))
        .isExactlyInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("test:fields")
        .hasMessageContaining("alsoDecryptWith");
  }

  @Test
  void decrypt_swappedWrappedKeyInTable_throwsInvalidCiphertext() {
    // The wrap is bound to the row id (§3.2): copying another row's wrapped key in does not work.
    FieldEncryptor a = open(builder().rotation(DataKeyRotation.every(Duration.ofDays(1)).orAfterMessages(1)));
    byte[] v1 = a.encrypt(random(5), CTX);
    byte[] v2 = a.encrypt(random(5), CTX);
    long id1 = FieldEncryptor.dataKeyIdOf(v1);
    long id2 = FieldEncryptor.dataKeyIdOf(v2);
    DataKeyRecord r1 = store.delegate.find(id1).orElseThrow();
    DataKeyRecord r2 = store.delegate.find(id2).orElseThrow();
    assertThat(store.delegate.replaceWrapped(id1, r1.wrapped(), r2.wrapped())).isTrue();
    FieldEncryptor fresh = fields();
    assertThatThrownBy(() -> fresh.decrypt(v1, CTX)).isExactlyInstanceOf(InvalidCiphertextException.class);
    assertThat(fresh.decrypt(v2, CTX)).isEqualTo(random(5));
  }

  @Test
  void decrypt_afterCacheEvictions_unwrapsAgainAndReportsEvictions() {
    List<KeyUsageEvent> events = new CopyOnWriteArrayList<>();
    FieldEncryptor writer = open(builder().rotation(DataKeyRotation.every(Duration.ofDays(1)).orAfterMessages(1)));
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      values.add(writer.encrypt(random(i), CTX));
    }
    FieldEncryptor reader = open(builder().maxCachedKeys(1).listener(events::add));
    int unwraps = master.unwraps.get();
    for (int i = 0; i < 3; i++) {
      assertThat(reader.decrypt(values.get(i), CTX)).isEqualTo(random(i));
    }
    assertThat(master.unwraps.get() - unwraps).isEqualTo(3);
    // Three keys through a one-key cache: at least two were evicted (and zeroed), so a second
    // round must unwrap at least two of them again.
    assertThat(events).filteredOn(e -> e.operation() == KeyUsageEvent.Operation.CACHE_EVICTION).hasSizeGreaterThanOrEqualTo(2);
    for (int i = 0; i < 3; i++) {
      assertThat(reader.decrypt(values.get(i), CTX)).isEqualTo(random(i));
    }
    assertThat(master.unwraps.get() - unwraps).isGreaterThanOrEqualTo(5);
  }

  @Test
  void decrypt_afterCacheExpiry_readsRowAgain() {
    FieldEncryptor writer = open(builder().rotation(DataKeyRotation.every(Duration.ofDays(1)).orAfterMessages(1)));
    byte[] v = writer.encrypt(random(3), CTX);
    writer.encrypt(random(3), CTX); // v's key is no longer current
    FieldEncryptor reader = open(builder().cacheExpiry(Duration.ofMinutes(5)));
    reader.decrypt(v, CTX);
    int finds = store.finds.get();
    ticker.advance(Duration.ofMinutes(4));
    reader.decrypt(v, CTX);
    assertThat(store.finds.get()).isEqualTo(finds);
    ticker.advance(Duration.ofMinutes(2));
    reader.decrypt(v, CTX);
    assertThat(store.finds.get()).isEqualTo(finds + 1);
  }

  // ---------------------------------------------------------------- rotation

  @Test
  void rotation_byCount_startsNewKeyAfterLimitAndRetiresOld() {
    FieldEncryptor fields = open(builder().rotation(DataKeyRotation.every(Duration.ofDays(30)).orAfterMessages(3)));
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      values.add(fields.encrypt(random(i), CTX));
    }
    List<Long> ids = values.stream().map(FieldEncryptor::dataKeyIdOf).toList();
    assertThat(ids.subList(0, 3)).containsOnly(ids.get(0));
    assertThat(ids.subList(3, 6)).containsOnly(ids.get(3));
    assertThat(new HashSet<>(ids)).hasSize(3);
    assertThat(master.generates).hasValue(3);
    assertThat(store.delegate.find(ids.get(0)).orElseThrow().state()).isEqualTo(DataKeyRecord.State.RETIRED);
    assertThat(store.delegate.find(ids.get(6)).orElseThrow().state()).isEqualTo(DataKeyRecord.State.ACTIVE);
    for (int i = 0; i < 7; i++) {
      assertThat(fields.decrypt(values.get(i), CTX)).isEqualTo(random(i));
    }
  }

  @Test
  void rotation_byTime_startsNewKeyAtMaxAge() {
    FieldEncryptor fields = open(builder().rotation(DataKeyRotation.every(Duration.ofDays(30)))
        .cacheExpiry(Duration.ofDays(1)));
    byte[] first = fields.encrypt(random(1), CTX);
    ticker.advance(Duration.ofDays(30).minusNanos(1));
    byte[] beforeBoundary = fields.encrypt(random(2), CTX);
    ticker.advance(Duration.ofNanos(1));
    byte[] atBoundary = fields.encrypt(random(3), CTX);
    assertThat(FieldEncryptor.dataKeyIdOf(beforeBoundary)).isEqualTo(FieldEncryptor.dataKeyIdOf(first));
    assertThat(FieldEncryptor.dataKeyIdOf(atBoundary)).isNotEqualTo(FieldEncryptor.dataKeyIdOf(first));
    assertThat(fields.decrypt(first, CTX)).isEqualTo(random(1));
    assertThat(fields.decrypt(atBoundary, CTX)).isEqualTo(random(3));
  }

  @Test
  void rotation_sixteenThreadsThroughBoundaries_loseNothingAndSingleFlight() throws Exception {
    int perKey = 400;
    int threads = 16;
    int perThread = 1000;
    FieldEncryptor fields = open(builder().rotation(DataKeyRotation.every(Duration.ofDays(1)).orAfterMessages(perKey)));
    List<List<byte[]>> results = new ArrayList<>();
    List<Thread> workers = new ArrayList<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(threads);
    for (int t = 0; t < threads; t++) {
      List<byte[]> mine = new ArrayList<>();
      results.add(mine);
      int thread = t;
      Thread w = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < perThread; i++) {
            mine.add(fields.encrypt(ctxPlain(thread, i), ctx(thread, i)));
          }
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join();
    }
    assertThat(failures).isEmpty();
    java.util.Map<Long, Integer> perId = new java.util.HashMap<>();
    for (int t = 0; t < threads; t++) {
      assertThat(results.get(t)).hasSize(perThread);
      for (int i = 0; i < perThread; i++) {
        byte[] v = results.get(t).get(i);
        assertThat(fields.decrypt(v, ctx(t, i))).isEqualTo(ctxPlain(t, i));
        perId.merge(FieldEncryptor.dataKeyIdOf(v), 1, Integer::sum);
      }
    }
    int total = threads * perThread;
    // No key carries more than its limit. Single-flight: exactly one master-key call per key, and
    // every key created was used. A thread whose slot was on a key zeroed by the rotation retries on
    // the next key, so a few keys may close short of perKey (never over it).
    assertThat(perId.values()).allMatch(n -> n <= perKey);
    assertThat(perId.values().stream().mapToInt(Integer::intValue).sum()).isEqualTo(total);
    assertThat(perId.size()).isBetween(total / perKey, total / perKey + total / perKey / 2);
    assertThat(master.generates).hasValue(perId.size());
  }

  private static EncryptionContext ctx(int thread, int i) {
    return EncryptionContext.of("table", "t", "id", thread + "/" + i);
  }

  private static byte[] ctxPlain(int thread, int i) {
    return (thread + ":" + i).getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void rotation_keyRetiredByAnotherEncryptor_isLeftAfterCacheExpiry() {
    FieldEncryptor a = open(builder().cacheExpiry(Duration.ofMinutes(10)));
    FieldEncryptor b = fields();
    long id = FieldEncryptor.dataKeyIdOf(a.encrypt(random(1), CTX));
    b.retire(id);
    assertThat(FieldEncryptor.dataKeyIdOf(a.encrypt(random(1), CTX))).isEqualTo(id);
    ticker.advance(Duration.ofMinutes(10));
    long next = FieldEncryptor.dataKeyIdOf(a.encrypt(random(1), CTX));
    assertThat(next).isNotEqualTo(id);
  }

  @Test
  void rotation_recheckOfActiveKey_keepsKeyWithoutMasterKeyCall() {
    FieldEncryptor a = open(builder().cacheExpiry(Duration.ofMinutes(10)));
    long id = FieldEncryptor.dataKeyIdOf(a.encrypt(random(1), CTX));
    int calls = master.callCount();
    int finds = store.finds.get();
    ticker.advance(Duration.ofMinutes(11));
    assertThat(FieldEncryptor.dataKeyIdOf(a.encrypt(random(1), CTX))).isEqualTo(id);
    assertThat(store.finds.get()).isEqualTo(finds + 1);
    assertThat(master.callCount()).isEqualTo(calls);
  }

  // ---------------------------------------------------------------- retire, destroy

  @Test
  void retire_currentKey_switchesAtOnceAndOldValuesStillDecrypt() {
    FieldEncryptor fields = fields();
    byte[] v = fields.encrypt(random(4), CTX);
    long id = FieldEncryptor.dataKeyIdOf(v);
    fields.retire(id);
    assertThat(store.delegate.find(id).orElseThrow().state()).isEqualTo(DataKeyRecord.State.RETIRED);
    assertThat(FieldEncryptor.dataKeyIdOf(fields.encrypt(random(4), CTX))).isNotEqualTo(id);
    assertThat(fields.decrypt(v, CTX)).isEqualTo(random(4));
  }

  @Test
  void destroy_makesValuesUnreadableEverywhere() {
    FieldEncryptor writer = open(builder().cacheExpiry(Duration.ofMinutes(10)));
    FieldEncryptor reader = open(builder().cacheExpiry(Duration.ofMinutes(10)));
    byte[] v = writer.encrypt(random(9), CTX);
    long id = FieldEncryptor.dataKeyIdOf(v);
    assertThat(reader.decrypt(v, CTX)).isEqualTo(random(9));

    writer.destroy(id);

    DataKeyRecord row = store.delegate.find(id).orElseThrow();
    assertThat(row.state()).isEqualTo(DataKeyRecord.State.DESTROYED);
    assertThat(row.wrappedKey()).isNull();
    assertThatThrownBy(() -> writer.decrypt(v, CTX))
        .isExactlyInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("destroyed");
    // The reader still holds the unwrapped key until its cache expiry, then loses it too.
    assertThat(reader.decrypt(v, CTX)).isEqualTo(random(9));
    ticker.advance(Duration.ofMinutes(10).plusSeconds(1));
    assertThatThrownBy(() -> reader.decrypt(v, CTX))
        .isExactlyInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("destroyed");
    FieldEncryptor fresh = fields();
    assertThatThrownBy(() -> fresh.decrypt(v, CTX)).isExactlyInstanceOf(KeyUnavailableException.class);
    // The writer moved on to a new key.
    byte[] w = writer.encrypt(random(9), CTX);
    assertThat(FieldEncryptor.dataKeyIdOf(w)).isNotEqualTo(id);
    assertThat(fresh.decrypt(w, CTX)).isEqualTo(random(9));
  }

  @Test
  void destroy_keyActiveInAnotherEncryptor_isRefusedUntilRetired() {
    FieldEncryptor owner = open(builder().cacheExpiry(Duration.ofMinutes(5)));
    FieldEncryptor admin = fields();
    byte[] v = owner.encrypt(random(6), CTX);
    long id = FieldEncryptor.dataKeyIdOf(v);
    assertThatThrownBy(() -> admin.destroy(id))
        .isExactlyInstanceOf(IllegalStateException.class)
        .hasMessageContaining("retire");
    assertThat(owner.decrypt(v, CTX)).isEqualTo(random(6));

    admin.retire(id);
    ticker.advance(Duration.ofMinutes(5));
    byte[] w = owner.encrypt(random(7), CTX); // the owner noticed the retire and moved on
    assertThat(FieldEncryptor.dataKeyIdOf(w)).isNotEqualTo(id);
    admin.destroy(id);

    assertThatThrownBy(() -> admin.decrypt(v, CTX)).isExactlyInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("destroyed");
    ticker.advance(Duration.ofMinutes(5));
    assertThatThrownBy(() -> owner.decrypt(v, CTX)).isExactlyInstanceOf(KeyUnavailableException.class);
    assertThat(admin.decrypt(w, CTX)).isEqualTo(random(7));
  }

  @Test
  void decrypt_destroyedKeyAgain_readsTheTableOnce() {
    FieldEncryptor fields = fields();
    byte[] v = fields.encrypt(random(6), CTX);
    FieldEncryptor reader = fields();
    fields.destroy(FieldEncryptor.dataKeyIdOf(v));
    int finds = store.finds.get();
    for (int i = 0; i < 5; i++) {
      assertThatThrownBy(() -> reader.decrypt(v, CTX)).isExactlyInstanceOf(KeyUnavailableException.class);
    }
    assertThat(store.finds.get()).isEqualTo(finds + 1);
  }

  @Test
  void retireAndDestroy_unknownOrRootId_throwIllegalArgument() {
    FieldEncryptor fields = fields();
    assertThatThrownBy(() -> fields.retire(0x1234L)).isExactlyInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> fields.destroy(0x1234L)).isExactlyInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> fields.destroy(DataKeyRecord.INDEX_ROOT_ID)).isExactlyInstanceOf(IllegalArgumentException.class);
  }

  // ---------------------------------------------------------------- rewrap (master-key rotation)

  @Test
  void rewrapDataKeys_movesEveryRowToNewMasterKeyWithoutTouchingValues() {
    FieldEncryptor a = open(builder().rotation(DataKeyRotation.every(Duration.ofDays(1)).orAfterMessages(2)));
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      values.add(a.encrypt(random(i), CTX));
    }
    byte[] token = a.blindIndex("users.email", 16).compute("a@example.com".getBytes(StandardCharsets.UTF_8));
    TestMasterKey next = new TestMasterKey("fields-next");

    long n = a.rewrapDataKeys(next);

    assertThat(n).isEqualTo(4); // three data keys and the blind-index root
    assertThat(master.rewraps).hasValue(4);
    assertThat(store.delegate.list(Long.MIN_VALUE, 100))
        .allMatch(r -> r.masterKey().equals(next.ref()));
    // A fresh encryptor that knows only the new master key reads everything.
    FieldEncryptor b = open(FieldEncryptor.builder().masterKey(next).dataKeyStore(store));
    for (int i = 0; i < 6; i++) {
      assertThat(b.decrypt(values.get(i), CTX)).isEqualTo(random(i));
    }
    assertThat(b.blindIndex("users.email", 16).compute("a@example.com".getBytes(StandardCharsets.UTF_8))).isEqualTo(token);
    // One that knows only the old one no longer can.
    FieldEncryptor old = open(FieldEncryptor.builder().masterKey(master).dataKeyStore(store));
    assertThatThrownBy(() -> old.decrypt(values.get(0), CTX)).isExactlyInstanceOf(KeyUnavailableException.class);
    // The encryptor that rewrapped keeps working and wraps its new data keys under the new key.
    a.retire(FieldEncryptor.dataKeyIdOf(values.get(5)));
    byte[] later = a.encrypt(random(7), CTX);
    assertThat(store.delegate.find(FieldEncryptor.dataKeyIdOf(later)).orElseThrow().masterKey()).isEqualTo(next.ref());
    assertThat(b.decrypt(later, CTX)).isEqualTo(random(7));
  }

  @Test
  void rewrapDataKeys_newVersionOfSameKey_rewrapsToCurrentVersion() {
    FieldEncryptor a = fields();
    byte[] v = a.encrypt(random(3), CTX);
    master.rotate();
    assertThat(a.rewrapDataKeys(master)).isEqualTo(1);
    assertThat(store.delegate.find(FieldEncryptor.dataKeyIdOf(v)).orElseThrow().masterKeyVersion()).isEqualTo("2");
    assertThat(fields().decrypt(v, CTX)).isEqualTo(random(3));
  }

  @Test
  void rewrapDataKeys_rowsUnderUnknownMasterKey_rewrapsOthersThenThrows() {
    TestMasterKey foreign = new TestMasterKey("foreign");
    FieldEncryptor theirs = open(FieldEncryptor.builder().masterKey(foreign).dataKeyStore(store));
    byte[] theirValue = theirs.encrypt(random(2), CTX);
    FieldEncryptor ours = fields();
    byte[] ourValue = ours.encrypt(random(3), CTX);
    TestMasterKey next = new TestMasterKey("next");
    assertThatThrownBy(() -> ours.rewrapDataKeys(next))
        .isExactlyInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("rewrapped 1 ")
        .hasMessageContaining("test:foreign");
    assertThat(open(FieldEncryptor.builder().masterKey(next).dataKeyStore(store)).decrypt(ourValue, CTX))
        .isEqualTo(random(3));
    assertThat(theirs.decrypt(theirValue, CTX)).isEqualTo(random(2));
  }

  @Test
  void alsoDecryptWith_oldMasterKey_readsRowsDuringRotation() {
    byte[] v = fields().encrypt(random(3), CTX);
    TestMasterKey next = new TestMasterKey("next");
    FieldEncryptor migrating = open(FieldEncryptor.builder().masterKey(next).alsoDecryptWith(master).dataKeyStore(store));
    assertThat(migrating.decrypt(v, CTX)).isEqualTo(random(3));
    byte[] w = migrating.encrypt(random(4), CTX);
    assertThat(store.delegate.find(FieldEncryptor.dataKeyIdOf(w)).orElseThrow().masterKey()).isEqualTo(next.ref());
  }

  // ---------------------------------------------------------------- blind index

  @Test
  void blindIndex_sameNameAndLength_sameTokensAcrossEncryptorsSharingStore() {
    FieldEncryptor a = fields();
    FieldEncryptor b = fields();
    byte[] email = "alice@example.com".getBytes(StandardCharsets.UTF_8);
    BlindIndex ia = a.blindIndex("users.email", 16);
    byte[] token = ia.compute(email);
    assertThat(token).hasSize(16);
    assertThat(ia.compute(email)).isEqualTo(token);
    assertThat(b.blindIndex("users.email", 16).compute(email)).isEqualTo(token);
    assertThat(ia.compute("bob@example.com".getBytes(StandardCharsets.UTF_8))).isNotEqualTo(token);
    assertThat(a.blindIndex("users.email_v2", 16).compute(email)).isNotEqualTo(token);
    assertThat(a.blindIndex("users.email", 8).compute(email)).hasSize(8).isNotEqualTo(java.util.Arrays.copyOf(token, 8));
    assertThat(ia.computeToString(email)).isEqualTo(java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(token));
    // Another store has another root key, hence other tokens.
    FieldEncryptor elsewhere = open(FieldEncryptor.builder().masterKey(master).dataKeyStore(DataKeyStore.inMemory()));
    assertThat(elsewhere.blindIndex("users.email", 16).compute(email)).isNotEqualTo(token);
  }

  @Test
  void blindIndex_stableAcrossDataKeyRotation() {
    FieldEncryptor a = open(builder().rotation(DataKeyRotation.every(Duration.ofDays(1)).orAfterMessages(1)));
    byte[] email = "alice@example.com".getBytes(StandardCharsets.UTF_8);
    byte[] token = a.blindIndex("users.email", 16).compute(email);
    for (int i = 0; i < 5; i++) {
      a.encrypt(random(i), CTX);
    }
    ticker.advance(Duration.ofDays(40));
    a.encrypt(random(1), CTX);
    assertThat(fields().blindIndex("users.email", 16).compute(email)).isEqualTo(token);
  }

  @Test
  void blindIndex_manyEncryptorsRacingToCreateRoot_agreeOnOneRoot() throws Exception {
    int n = 8;
    List<FieldEncryptor> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      all.add(fields());
    }
    byte[] email = "race@example.com".getBytes(StandardCharsets.UTF_8);
    Set<String> tokens = java.util.concurrent.ConcurrentHashMap.newKeySet();
    java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(n);
    List<Thread> threads = new ArrayList<>();
    for (FieldEncryptor f : all) {
      Thread t = new Thread(() -> {
        try {
          start.await();
          tokens.add(f.blindIndex("users.email", 16).computeToString(email));
        } catch (Exception e) {
          tokens.add("failed: " + e);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(tokens).hasSize(1).noneMatch(s -> s.startsWith("failed"));
    assertThat(store.delegate.list(Long.MIN_VALUE, 10)).filteredOn(r -> r.id() == DataKeyRecord.INDEX_ROOT_ID).hasSize(1);
  }

  @Test
  void blindIndex_badArguments_throwIllegalArgument() {
    FieldEncryptor fields = fields();
    assertThatThrownBy(() -> fields.blindIndex("users.email", 3)).isExactlyInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> fields.blindIndex("users.email", 33)).isExactlyInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> fields.blindIndex("", 16)).isExactlyInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> fields.blindIndex("x".repeat(256), 16)).isExactlyInstanceOf(IllegalArgumentException.class);
    assertThat(fields.blindIndex("x".repeat(255), 4).compute(new byte[0])).hasSize(4);
    assertThat(fields.blindIndex("users.email", 32).compute(new byte[0])).hasSize(32);
  }

  // ---------------------------------------------------------------- lifecycle, builder, listener

  @Test
  void close_zeroesKeysAndRefusesFurtherUse() {
    FieldEncryptor fields = fields();
    byte[] v = fields.encrypt(random(3), CTX);
    BlindIndex idx = fields.blindIndex("users.email", 16);
    fields.close();
    fields.close();
    assertThatThrownBy(() -> fields.encrypt(random(3), CTX)).isExactlyInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> fields.decrypt(v, CTX)).isExactlyInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> idx.compute(new byte[1])).isExactlyInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> fields.blindIndex("users.email", 16)).isExactlyInstanceOf(IllegalStateException.class);
  }

  @Test
  void builder_missingOrBadSettings_throw() {
    assertThatThrownBy(() -> FieldEncryptor.builder().dataKeyStore(store).build())
        .isExactlyInstanceOf(IllegalStateException.class).hasMessageContaining("masterKey");
    assertThatThrownBy(() -> FieldEncryptor.builder().masterKey(master).build())
        .isExactlyInstanceOf(IllegalStateException.class).hasMessageContaining("dataKeyStore");
    assertThatThrownBy(() -> builder().maxCachedKeys(0)).isExactlyInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder().cacheExpiry(Duration.ZERO)).isExactlyInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder().cacheExpiry(Duration.ofDays(2))).isExactlyInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DataKeyRotation.every(Duration.ZERO)).isExactlyInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DataKeyRotation.every(Duration.ofDays(3651))).isExactlyInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DataKeyRotation.every(Duration.ofDays(1)).orAfterMessages(0))
        .isExactlyInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DataKeyRotation.every(Duration.ofDays(1)).orAfterMessages((1L << 32) + 1))
        .isExactlyInstanceOf(IllegalArgumentException.class);
    assertThat(DataKeyRotation.defaults().maxMessages()).isEqualTo(1L << 28);
    assertThat(DataKeyRotation.defaults().maxAge()).isEqualTo(Duration.ofDays(30));
    assertThat(DataKeyRotation.every(Duration.ofDays(30)).orAfterMessages(1L << 30).maxMessages()).isEqualTo(1L << 30);
  }

  @Test
  void listener_seesMasterKeyCallsAndCacheDecisionsWithoutValues() {
    List<KeyUsageEvent> events = new CopyOnWriteArrayList<>();
    FieldEncryptor writer = open(builder().listener(events::add));
    byte[] v = writer.encrypt(random(1), CTX);
    writer.encrypt(random(1), CTX);
    FieldEncryptor reader = open(builder().listener(events::add));
    reader.decrypt(v, CTX);
    reader.decrypt(v, CTX);
    assertThat(events).extracting(KeyUsageEvent::operation).containsSubsequence(
        KeyUsageEvent.Operation.ENCRYPT_CACHE_MISS, KeyUsageEvent.Operation.GENERATE_DATA_KEY,
        KeyUsageEvent.Operation.ENCRYPT_CACHE_HIT, KeyUsageEvent.Operation.ENCRYPT_CACHE_HIT,
        KeyUsageEvent.Operation.DECRYPT_CACHE_MISS, KeyUsageEvent.Operation.UNWRAP,
        KeyUsageEvent.Operation.DECRYPT_CACHE_HIT);
    assertThat(events).filteredOn(e -> e.operation() == KeyUsageEvent.Operation.UNWRAP)
        .singleElement().satisfies(e -> {
          assertThat(e.key()).isEqualTo(master.ref());
          assertThat(e.outcome()).isEqualTo(KeyUsageEvent.Outcome.SUCCESS);
        });
    assertThat(events).allSatisfy(e -> assertThat(e.contextValues()).isEmpty());
    assertThat(events.toString()).doesNotContain("acme");
  }

  @Test
  void toStrings_showNoKeyMaterial() {
    FieldEncryptor fields = fields();
    byte[] v = fields.encrypt(random(3), CTX);
    DataKeyRecord row = store.delegate.find(FieldEncryptor.dataKeyIdOf(v)).orElseThrow();
    assertThat(row.toString()).contains(DataKeyRecord.idToString(row.id())).contains("ACTIVE").contains("test:fields")
        .doesNotContain(java.util.HexFormat.of().formatHex(row.wrappedKey()));
    assertThat(fields.toString()).contains("test:fields");
    assertThat(fields.blindIndex("users.email", 16).toString()).isEqualTo("BlindIndex[users.email, 16 bytes]");
  }
}
