package dev.envelope.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.KmsException;
import dev.envelope.testkit.jdbc.CountingDriver;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** RotatingDataSource against embedded H2, which checks passwords on every login. */
class RotatingDataSourceTest {
  static final String NAME = "prod/db";

  final ScriptedStore store = new ScriptedStore();
  final FakeTicker ticker = new FakeTicker();
  TestDatabase db;
  CountingDriver driver;
  CachingSecrets secrets;
  String p0;

  @BeforeEach
  void setUp() throws SQLException {
    p0 = TestDatabase.randomPassword();
    db = TestDatabase.h2(p0);
    driver = new CountingDriver(db.driver());
    store.delegate.put(NAME, credentials(p0));
    secrets = CachingSecrets.builder().store(store).ttl(Duration.ofMinutes(10)).ticker(ticker)
        .executor(new ManualExecutor()).build();
  }

  @AfterEach
  void tearDown() throws SQLException {
    db.close();
  }

  static String credentials(String password) {
    return "{\"username\":\"app\",\"password\":\"" + password + "\",\"engine\":\"h2\"}";
  }

  RotatingDataSource dataSource() {
    return RotatingDataSource.builder().secrets(secrets).secretName(NAME).jdbcUrl(db.url).driver(driver).build();
  }

  static void assertWorks(Connection c) throws SQLException {
    assertThat(TestDatabase.queryUser(c)).isEqualTo("APP");
  }

  @Test
  void getConnection_currentPassword_logsInWithoutRefresh() throws SQLException {
    try (Connection c = dataSource().getConnection()) {
      assertWorks(c);
    }
    assertThat(store.gets).hasValue(1);
    assertThat(driver.rejected()).isEqualTo(0);
  }

  @Test
  void getConnection_rotatedAndPromotedWhileCached_refreshesAndRetriesOnce() throws SQLException {
    RotatingDataSource ds = dataSource();
    ds.getConnection().close();
    String p1 = TestDatabase.randomPassword();
    String id = store.delegate.putPending(NAME, credentials(p1));
    db.setPassword(p1);
    store.delegate.promote(NAME, id);

    try (Connection c = ds.getConnection()) {
      assertWorks(c);
    }
    assertThat(driver.rejected()).isEqualTo(1); // the cached password
    assertThat(driver.acceptedWith(p1)).isEqualTo(1);
    assertThat(store.gets).hasValue(2); // initial load + one refresh
    assertThat(secrets.get(NAME).versionId()).isEqualTo(id);
  }

  @Test
  void getConnection_duringRotationWindow_usesPendingAndThenPrefersIt() throws SQLException {
    RotatingDataSource ds = dataSource();
    ds.getConnection().close();
    String p1 = TestDatabase.randomPassword();
    String id = store.delegate.putPending(NAME, credentials(p1));
    db.setPassword(p1); // the rotation changed the database but has not promoted yet

    try (Connection c = ds.getConnection()) {
      assertWorks(c);
    }
    assertThat(driver.acceptedWith(p1)).isEqualTo(1);
    assertThat(driver.rejected()).isEqualTo(1);
    int gets = store.gets.get();

    try (Connection c = ds.getConnection()) {
      assertWorks(c);
    }
    assertThat(driver.rejected()).as("pending tried first while it works").isEqualTo(1);
    assertThat(store.gets).hasValue(gets);

    store.delegate.promote(NAME, id);
    try (Connection c = ds.getConnection()) {
      assertWorks(c);
    }
    assertThat(driver.rejected()).isEqualTo(1);
    assertThat(driver.acceptedWith(p1)).isEqualTo(3);
  }

  @Test
  void getConnection_pendingNotYetInDatabase_currentStillWorks() throws SQLException {
    RotatingDataSource ds = dataSource();
    store.delegate.putPending(NAME, credentials(TestDatabase.randomPassword()));
    try (Connection c = ds.getConnection()) {
      assertWorks(c);
    }
    assertThat(driver.rejected()).isEqualTo(0);
    assertThat(driver.acceptedWith(p0)).isEqualTo(1);
  }

  @Test
  void getConnection_abandonedPendingAfterPreferred_fallsBackToCurrent() throws SQLException {
    RotatingDataSource ds = dataSource();
    String p1 = TestDatabase.randomPassword();
    store.delegate.putPending(NAME, credentials(p1));
    db.setPassword(p1);
    ds.getConnection().close(); // pending preferred from now on
    // The rotation is rolled back: database back to p0, pending label removed.
    db.setPassword(p0);
    store.delegate.removeStage(NAME, InMemorySecretStore.AWSPENDING);
    try (Connection c = ds.getConnection()) {
      assertWorks(c);
    }
    assertThat(driver.acceptedWith(p0)).isEqualTo(1);
  }

  @Test
  void getConnection_noCredentialWorks_throwsFirstAuthFailure() throws SQLException {
    RotatingDataSource ds = dataSource();
    String p1 = TestDatabase.randomPassword();
    store.delegate.putPending(NAME, credentials(p1));
    db.setPassword(TestDatabase.randomPassword()); // neither current nor pending

    assertThatThrownBy(ds::getConnection)
        .isInstanceOf(SQLException.class)
        .satisfies(e -> {
          SQLException s = (SQLException) e;
          assertThat(s.getSQLState()).isEqualTo("28000");
          assertThat(s.getSuppressed()).hasSize(1); // the pending attempt
          assertThat(s.getMessage()).doesNotContain(p0).doesNotContain(p1);
        });
    assertThat(driver.rejected()).isEqualTo(2);
  }

  @Test
  void getConnection_otherSqlError_thrownWithoutRefresh() {
    RotatingDataSource ds = RotatingDataSource.builder().secrets(secrets).secretName(NAME)
        .jdbcUrl("jdbc:h2:mem:does-not-exist-" + TestDatabase.randomPassword() + ";IFEXISTS=TRUE")
        .driver(driver).build();
    assertThatThrownBy(ds::getConnection).isInstanceOf(SQLException.class)
        .satisfies(e -> assertThat(((SQLException) e).getErrorCode()).isEqualTo(90146));
    assertThat(store.gets).hasValue(1);
  }

  @Test
  void getConnection_barePasswordSecret_usesBuilderUsername() throws SQLException {
    store.delegate.put("plain", p0);
    RotatingDataSource ds = RotatingDataSource.builder().secrets(secrets).secretName("plain")
        .jdbcUrl(db.url).username("app").driver(driver).build();
    try (Connection c = ds.getConnection()) {
      assertWorks(c);
    }
    RotatingDataSource noUser = RotatingDataSource.builder().secrets(secrets).secretName("plain")
        .jdbcUrl(db.url).driver(driver).build();
    assertThatThrownBy(noUser::getConnection).isInstanceOf(SQLException.class).hasMessageContaining("username")
        .hasMessageNotContaining(p0);
  }

  @Test
  void getConnection_jsonWithoutPasswordOrMalformed_sqlExceptionWithoutValue() {
    store.delegate.put("nopw", "{\"username\":\"app\"}");
    store.delegate.put("broken", "{\"username\":\"app\",\"password\":" + p0 + "}");
    for (String name : new String[] {"nopw", "broken"}) {
      RotatingDataSource ds = RotatingDataSource.builder().secrets(secrets).secretName(name)
          .jdbcUrl(db.url).driver(driver).build();
      assertThatThrownBy(ds::getConnection).isInstanceOf(SQLException.class)
          .hasMessageNotContaining(p0)
          .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));
    }
  }

  @Test
  void getConnection_storeUnavailable_sqlException08001() {
    store.failWith(() -> new KmsException("throttled", true));
    assertThatThrownBy(dataSource()::getConnection).isInstanceOf(SQLException.class)
        .hasCauseInstanceOf(KmsException.class)
        .satisfies(e -> assertThat(((SQLException) e).getSQLState()).isEqualTo("08001"));
  }

  @Test
  void getConnection_driverFromDriverManager() throws SQLException {
    RotatingDataSource ds = RotatingDataSource.builder().secrets(secrets).secretName(NAME).jdbcUrl(db.url).build();
    try (Connection c = ds.getConnection()) {
      assertWorks(c);
    }
  }

  @Test
  void openConnection_survivesRotations() throws SQLException {
    RotatingDataSource ds = dataSource();
    try (Connection open = ds.getConnection()) {
      for (int i = 0; i < 3; i++) {
        String p = TestDatabase.randomPassword();
        String id = store.delegate.putPending(NAME, credentials(p));
        db.setPassword(p);
        store.delegate.promote(NAME, id);
        try (Connection fresh = ds.getConnection()) {
          assertWorks(fresh);
        }
      }
      assertWorks(open);
      assertThat(db.accepts(p0)).isFalse();
    }
  }

  @Test
  void dataSourceContract_credentialsOnlyFromSecret() throws SQLException {
    RotatingDataSource ds = dataSource();
    assertThatThrownBy(() -> ds.getConnection("app", p0)).isInstanceOf(SQLFeatureNotSupportedException.class);
    assertThat(ds.isWrapperFor(DataSource.class)).isTrue();
    assertThat(ds.unwrap(RotatingDataSource.class)).isSameAs(ds);
    assertThatThrownBy(() -> ds.unwrap(String.class)).isInstanceOf(SQLException.class);
    ds.setLoginTimeout(7);
    assertThat(ds.getLoginTimeout()).isEqualTo(7);
    assertThat(ds.toString()).contains(NAME).doesNotContain("jdbc:");
    assertThat(ds.secretName()).isEqualTo(NAME);
  }

  @Test
  void builder_missingOrBadSettings_rejected() {
    assertThatThrownBy(() -> RotatingDataSource.builder().secretName(NAME).jdbcUrl(db.url).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("secrets");
    assertThatThrownBy(() -> RotatingDataSource.builder().secrets(secrets).jdbcUrl(db.url).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("secretName");
    assertThatThrownBy(() -> RotatingDataSource.builder().secrets(secrets).secretName(NAME).build())
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("jdbcUrl");
    assertThatThrownBy(() -> RotatingDataSource.builder().jdbcUrl("postgresql://x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RotatingDataSource.builder().property("password", "x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RotatingDataSource.builder().secretName(" "))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
