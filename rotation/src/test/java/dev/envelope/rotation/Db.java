package dev.envelope.rotation;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.UUID;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.postgresql.ds.PGSimpleDataSource;

/** The databases every job test runs on: embedded H2 always, PostgreSQL on 127.0.0.1:5432 when reachable. */
enum Db {
  H2,
  POSTGRES;

  private static volatile Boolean postgresUp;

  /** A data source for this database; skips the test when PostgreSQL is not reachable. */
  DataSource dataSource() {
    if (this == H2) {
      JdbcDataSource ds = new JdbcDataSource();
      // One in-memory database per call, kept until the JVM exits (tests drop nothing there).
      ds.setURL("jdbc:h2:mem:rot_" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1;LOCK_TIMEOUT=20000");
      return ds;
    }
    DataSource ds = postgres();
    assumeTrue(ds != null, "PostgreSQL not reachable on 127.0.0.1:5432");
    return ds;
  }

  static DataSource postgres() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"127.0.0.1"});
    ds.setPortNumbers(new int[] {5432});
    ds.setDatabaseName("test");
    ds.setUser("postgres");
    ds.setConnectTimeout(2);
    ds.setLoginTimeout(2);
    if (postgresUp == null) {
      try (Connection c = ds.getConnection()) {
        postgresUp = c.isValid(2);
      } catch (SQLException e) {
        postgresUp = false;
      }
    }
    return postgresUp ? ds : null;
  }

  String binaryType() {
    return this == H2 ? "VARBINARY(8192)" : "BYTEA";
  }

  String textType() {
    return this == H2 ? "VARCHAR(16000)" : "TEXT";
  }

  /** A table name no other test run uses (PostgreSQL is shared between runs and helpers). */
  static String uniqueName(String prefix) {
    return (prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12)).toLowerCase(Locale.ROOT);
  }

  static void dropQuietly(DataSource ds, String... tables) {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      for (String t : tables) {
        s.execute("DROP TABLE IF EXISTS " + t);
      }
    } catch (SQLException ignored) {
      // best effort cleanup
    }
  }
}
