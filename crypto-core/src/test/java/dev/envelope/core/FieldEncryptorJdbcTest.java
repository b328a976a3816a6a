package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** FieldEncryptor over a real data-key table: H2 always, PostgreSQL when reachable. */
class FieldEncryptorJdbcTest {
  final TestMasterKey master = new TestMasterKey("fields");
  final FakeTicker ticker = new FakeTicker();
  final List<FieldEncryptor> opened = new ArrayList<>();
  DataSource ds;
  String table;

  /** A store as a separate process would have it: its own store object over the same table. */
  DataKeyStore process(TestDatabases db) {
    if (ds == null) {
      ds = db.dataSource();
      table = TestDatabases.uniqueTable("edk_fields");
    }
    return JdbcDataKeyStore.create(ds, table);
  }

  FieldEncryptor open(FieldEncryptor.Builder b) {
    FieldEncryptor f = b.build();
    opened.add(f);
    return f;
  }

  @AfterEach
  void cleanUp() {
    opened.forEach(FieldEncryptor::close);
    if (ds != null) {
      TestDatabases.drop(ds, table);
    }
  }

  static EncryptionContext row(int id) {
    return EncryptionContext.of("table", "users", "column", "ssn", "id", Integer.toString(id));
  }

  static byte[] ssn(int id) {
    return String.format("%03d-%02d-%04d", id % 1000, id % 100, id).getBytes(StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void twoEncryptorsSharingOneTable_readEachOthersValuesAcrossRotations(TestDatabases db) {
    DataKeyRotation rotation = DataKeyRotation.every(Duration.ofDays(30)).orAfterMessages(5);
    FieldEncryptor a = open(FieldEncryptor.builder().masterKey(master).dataKeyStore(process(db)).rotation(rotation));
    FieldEncryptor b = open(FieldEncryptor.builder().masterKey(master).dataKeyStore(process(db)).rotation(rotation));
    Map<Integer, byte[]> stored = new HashMap<>();
    Set<Long> idsOfA = new HashSet<>();
    Set<Long> idsOfB = new HashSet<>();
    for (int i = 0; i < 40; i++) {
      FieldEncryptor writer = i % 2 == 0 ? a : b;
      byte[] v = writer.encrypt(ssn(i), row(i));
      stored.put(i, v);
      (writer == a ? idsOfA : idsOfB).add(FieldEncryptor.dataKeyIdOf(v));
    }
    for (int i = 0; i < 40; i++) {
      assertThat(a.decrypt(stored.get(i), row(i))).isEqualTo(ssn(i));
      assertThat(b.decrypt(stored.get(i), row(i))).isEqualTo(ssn(i));
    }
    // Each crossed its rotation boundaries on its own: new keys appeared in both, none shared.
    assertThat(idsOfA).hasSize(4);
    assertThat(idsOfB).hasSize(4);
    assertThat(idsOfA).doesNotContainAnyElementsOf(idsOfB);
    List<DataKeyRecord> rows = process(db).list(Long.MIN_VALUE, 100);
    assertThat(rows).hasSize(8);
    assertThat(rows).filteredOn(r -> r.state() == DataKeyRecord.State.ACTIVE).hasSize(2);
    // Blind indexes agree too: one root key in the table.
    byte[] email = "ann@example.com".getBytes(StandardCharsets.UTF_8);
    assertThat(a.blindIndex("users.email", 16).compute(email)).isEqualTo(b.blindIndex("users.email", 16).compute(email));
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void destroyInOneEncryptor_shredsValuesForAnother(TestDatabases db) {
    FieldEncryptor a = open(FieldEncryptor.builder().masterKey(master).dataKeyStore(process(db)).ticker(ticker));
    FieldEncryptor b = open(FieldEncryptor.builder().masterKey(master).dataKeyStore(process(db)).ticker(ticker)
        .cacheExpiry(Duration.ofMinutes(1)));
    byte[] v = a.encrypt(ssn(1), row(1));
    assertThat(b.decrypt(v, row(1))).isEqualTo(ssn(1));
    a.destroy(FieldEncryptor.dataKeyIdOf(v));
    ticker.advance(Duration.ofMinutes(1).plusSeconds(1));
    assertThatThrownBy(() -> b.decrypt(v, row(1)))
        .isExactlyInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("destroyed");
    FieldEncryptor c = open(FieldEncryptor.builder().masterKey(master).dataKeyStore(process(db)));
    assertThatThrownBy(() -> c.decrypt(v, row(1))).isExactlyInstanceOf(KeyUnavailableException.class);
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void rewrapDataKeys_onTable_letsNewMasterKeyAloneReadEverything(TestDatabases db) {
    FieldEncryptor a = open(FieldEncryptor.builder().masterKey(master).dataKeyStore(process(db))
        .rotation(DataKeyRotation.every(Duration.ofDays(1)).orAfterMessages(3)));
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      values.add(a.encrypt(ssn(i), row(i)));
    }
    TestMasterKey next = new TestMasterKey("fields-2027");
    assertThat(a.rewrapDataKeys(next)).isEqualTo(3);
    assertThat(master.rewraps).hasValue(3);
    FieldEncryptor b = open(FieldEncryptor.builder().masterKey(next).dataKeyStore(process(db)));
    for (int i = 0; i < 9; i++) {
      assertThat(b.decrypt(values.get(i), row(i))).isEqualTo(ssn(i));
    }
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void sixteenThreadsThroughRotationOnTable_loseNothing(TestDatabases db) throws Exception {
    int threads = 16;
    int perThread = 150;
    FieldEncryptor f = open(FieldEncryptor.builder().masterKey(master).dataKeyStore(process(db))
        .rotation(DataKeyRotation.every(Duration.ofDays(1)).orAfterMessages(100)));
    List<List<byte[]>> results = new ArrayList<>();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    CyclicBarrier start = new CyclicBarrier(threads);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      List<byte[]> mine = new ArrayList<>();
      results.add(mine);
      int base = t * perThread;
      Thread w = new Thread(() -> {
        try {
          start.await();
          for (int i = 0; i < perThread; i++) {
            mine.add(f.encrypt(ssn(base + i), row(base + i)));
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
    FieldEncryptor reader = open(FieldEncryptor.builder().masterKey(master).dataKeyStore(process(db)));
    Map<Long, Integer> perKey = new HashMap<>();
    for (int t = 0; t < threads; t++) {
      assertThat(results.get(t)).hasSize(perThread);
      for (int i = 0; i < perThread; i++) {
        int id = t * perThread + i;
        byte[] v = results.get(t).get(i);
        assertThat(reader.decrypt(v, row(id))).isEqualTo(ssn(id));
        perKey.merge(FieldEncryptor.dataKeyIdOf(v), 1, Integer::sum);
      }
    }
    assertThat(perKey.values()).allMatch(n -> n <= 100);
    assertThat(master.generates).hasValue(perKey.size());
    assertThat(process(db).list(Long.MIN_VALUE, 1000)).hasSize(perKey.size());
  }
}
