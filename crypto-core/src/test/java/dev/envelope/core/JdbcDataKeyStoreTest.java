package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The JDBC data-key table on a real H2 and, when reachable, a real PostgreSQL. */
class JdbcDataKeyStoreTest {
  static final Instant CREATED = Instant.parse("2026-11-22T10:15:30.123456Z");

  DataSource ds;
  final List<String> tables = new ArrayList<>();

  JdbcDataKeyStore store(TestDatabases db) {
    ds = db.dataSource();
    String table = TestDatabases.uniqueTable("edk_store");
    tables.add(table);
    return JdbcDataKeyStore.create(ds, table);
  }

  @AfterEach
  void drop() {
    if (ds != null) {
      TestDatabases.drop(ds, tables.toArray(String[]::new));
    }
  }

  static WrappedKey wrapped(String version, int fill) {
    byte[] b = new byte[60];
    java.util.Arrays.fill(b, (byte) fill);
    return new WrappedKey("test", "arn:aws:kms:eu-west-1:111122223333:key/k1", version, b);
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void create_twiceOnSameTable_isIdempotentAndKeepsRows(TestDatabases db) {
    JdbcDataKeyStore store = store(db);
    assertThat(store.insert(DataKeyRecord.active(42, wrapped("1", 1), CREATED))).isTrue();
    JdbcDataKeyStore again = JdbcDataKeyStore.create(ds, store.tableName());
    assertThat(again.find(42)).isPresent();
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void insertAndFind_roundTripEveryColumnExactly(TestDatabases db) {
    JdbcDataKeyStore store = store(db);
    DataKeyRecord row = DataKeyRecord.active(-7_000_000_000L, wrapped("v3", 9), CREATED);
    assertThat(store.insert(row)).isTrue();
    assertThat(store.find(row.id())).contains(row);
    assertThat(store.find(12345)).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void insert_takenId_returnsFalseAndKeepsFirstRow(TestDatabases db) {
    JdbcDataKeyStore store = store(db);
    DataKeyRecord first = DataKeyRecord.active(5, wrapped("1", 1), CREATED);
    assertThat(store.insert(first)).isTrue();
    assertThat(store.insert(DataKeyRecord.active(5, wrapped("2", 2), CREATED))).isFalse();
    assertThat(store.find(5)).contains(first);
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void list_pagesInSignedIdOrder(TestDatabases db) {
    JdbcDataKeyStore store = store(db);
    long[] ids = {Long.MAX_VALUE, -1, 0, 17, Long.MIN_VALUE, 3};
    for (long id : ids) {
      store.insert(DataKeyRecord.active(id, wrapped("1", 1), CREATED));
    }
    List<Long> seen = new ArrayList<>();
    long from = Long.MIN_VALUE;
    for (;;) {
      List<DataKeyRecord> page = store.list(from, 2);
      page.forEach(r -> seen.add(r.id()));
      if (page.size() < 2 || page.get(1).id() == Long.MAX_VALUE) {
        break;
      }
      from = page.get(1).id() + 1;
    }
    assertThat(seen).containsExactly(Long.MIN_VALUE, -1L, 0L, 3L, 17L, Long.MAX_VALUE);
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void replaceWrapped_isCompareAndSet(TestDatabases db) {
    JdbcDataKeyStore store = store(db);
    WrappedKey w1 = wrapped("1", 1);
    WrappedKey w2 = new WrappedKey("test", "other", "", new byte[] {1, 2, 3});
    store.insert(DataKeyRecord.active(8, w1, CREATED));
    assertThat(store.replaceWrapped(8, wrapped("1", 2), w2)).isFalse();
    assertThat(store.replaceWrapped(8, wrapped("2", 1), w2)).isFalse();
    assertThat(store.replaceWrapped(9, w1, w2)).isFalse();
    assertThat(store.replaceWrapped(8, w1, w2)).isTrue();
    DataKeyRecord row = store.find(8).orElseThrow();
    assertThat(row.wrapped()).isEqualTo(w2);
    assertThat(row.masterKey()).isEqualTo(new KeyRef("test", "other"));
    assertThat(row.created()).isEqualTo(CREATED);
    assertThat(store.replaceWrapped(8, w1, w1)).isFalse();
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void retire_movesActiveToRetiredOnly(TestDatabases db) {
    JdbcDataKeyStore store = store(db);
    store.insert(DataKeyRecord.active(1, wrapped("1", 1), CREATED));
    assertThat(store.retire(1)).isTrue();
    assertThat(store.find(1).orElseThrow().state()).isEqualTo(DataKeyRecord.State.RETIRED);
    assertThat(store.retire(1)).isTrue();
    assertThat(store.retire(2)).isFalse();
    store.destroy(1);
    assertThat(store.retire(1)).isTrue();
    assertThat(store.find(1).orElseThrow().state()).isEqualTo(DataKeyRecord.State.DESTROYED);
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void destroy_deletesWrappedKeyKeepsTombstoneAndCannotBeUndoneByRewrap(TestDatabases db) {
    JdbcDataKeyStore store = store(db);
    WrappedKey w = wrapped("1", 1);
    store.insert(DataKeyRecord.active(1, w, CREATED));
    assertThat(store.destroy(1)).isTrue();
    assertThat(store.destroy(1)).isTrue();
    assertThat(store.destroy(2)).isFalse();
    DataKeyRecord row = store.find(1).orElseThrow();
    assertThat(row.state()).isEqualTo(DataKeyRecord.State.DESTROYED);
    assertThat(row.wrappedKey()).isNull();
    assertThat(row.masterKey()).isEqualTo(w.keyRef());
    assertThat(row.created()).isEqualTo(CREATED);
    // A rewrap that read the row before the destroy must not bring the key back.
    assertThat(store.replaceWrapped(1, w, wrapped("2", 2))).isFalse();
    assertThat(store.find(1).orElseThrow().wrappedKey()).isNull();
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void create_manyThreadsAtOnce_allSucceedOnOneTable(TestDatabases db) throws Exception {
    ds = db.dataSource();
    String table = TestDatabases.uniqueTable("edk_race");
    tables.add(table);
    int n = 8;
    CyclicBarrier start = new CyclicBarrier(n);
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      long id = i + 1;
      Thread t = new Thread(() -> {
        try {
          start.await();
          JdbcDataKeyStore s = JdbcDataKeyStore.create(ds, table);
          s.insert(DataKeyRecord.active(id, wrapped("1", 1), CREATED));
        } catch (Throwable e) {
          failures.add(e);
        }
      });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(failures).isEmpty();
    assertThat(JdbcDataKeyStore.create(ds, table).list(Long.MIN_VALUE, 100)).hasSize(n);
  }

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void store_withAutoCommitOff_commitsItsOwnStatements(TestDatabases db) {
    DataSource plain = db.dataSource();
    ds = plain;
    String table = TestDatabases.uniqueTable("edk_tx");
    tables.add(table);
    DataSource manual = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {DataSource.class},
        (proxy, method, args) -> {
          try {
            Object r = method.invoke(plain, args);
            if (r instanceof Connection c) {
              c.setAutoCommit(false);
            }
            return r;
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
    JdbcDataKeyStore store = JdbcDataKeyStore.create(manual, table);
    assertThat(store.insert(DataKeyRecord.active(1, wrapped("1", 1), CREATED))).isTrue();
    assertThat(store.insert(DataKeyRecord.active(1, wrapped("1", 1), CREATED))).isFalse();
    assertThat(store.insert(DataKeyRecord.active(2, wrapped("1", 1), CREATED))).isTrue();
    assertThat(store.retire(2)).isTrue();
    // Seen through a plain auto-commit connection: everything was committed.
    JdbcDataKeyStore observer = JdbcDataKeyStore.create(plain, table);
    assertThat(observer.list(Long.MIN_VALUE, 10)).extracting(DataKeyRecord::id).containsExactly(1L, 2L);
    assertThat(observer.find(2).orElseThrow().state()).isEqualTo(DataKeyRecord.State.RETIRED);
  }

  @Test
  void create_badTableName_throwsIllegalArgument() {
    DataSource h2 = TestDatabases.H2.dataSource();
    for (String bad : new String[] {"", "1abc", "a-b", "a;drop table x", "a.b.c", "\"quoted\"", "x".repeat(64), "a."}) {
      assertThatThrownBy(() -> JdbcDataKeyStore.create(h2, bad)).as(bad).isExactlyInstanceOf(IllegalArgumentException.class);
    }
    assertThat(JdbcDataKeyStore.create(h2, "PUBLIC.field_keys").tableName()).isEqualTo("PUBLIC.field_keys");
    TestDatabases.drop(h2);
  }

  @Test
  void create_tableWithOtherColumns_throwsEnvelopeExceptionNamingTable() throws SQLException {
    DataSource h2 = TestDatabases.H2.dataSource();
    try (Connection c = h2.getConnection()) {
      c.createStatement().execute("CREATE TABLE wrong_keys (id BIGINT PRIMARY KEY, something VARCHAR(10))");
    }
    assertThatThrownBy(() -> JdbcDataKeyStore.create(h2, "wrong_keys"))
        .isExactlyInstanceOf(EnvelopeException.class)
        .hasMessageContaining("wrong_keys")
        .hasMessageContaining("SQLState");
    TestDatabases.drop(h2);
  }

  @Test
  void operations_tableDroppedUnderneath_throwEnvelopeExceptionWithSqlState() throws SQLException {
    DataSource h2 = TestDatabases.H2.dataSource();
    JdbcDataKeyStore store = JdbcDataKeyStore.create(h2, "gone_keys");
    try (Connection c = h2.getConnection()) {
      c.createStatement().execute("DROP TABLE gone_keys");
    }
    assertThatThrownBy(() -> store.find(1)).isExactlyInstanceOf(EnvelopeException.class)
        .hasMessageContaining("gone_keys").hasMessageContaining("find").hasMessageContaining("SQLState")
        .hasCauseInstanceOf(SQLException.class);
    assertThatThrownBy(() -> store.insert(DataKeyRecord.active(1, wrapped("1", 1), CREATED)))
        .isExactlyInstanceOf(EnvelopeException.class).hasMessageContaining("insert");
    TestDatabases.drop(h2);
  }
}
