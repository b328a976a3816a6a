package dev.envelope.core;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The databases the JDBC tests run on: embedded H2 always, PostgreSQL on 127.0.0.1:5432 (database
 * {@code test}, user {@code postgres}) when it answers; otherwise those cases are skipped.
 */
enum TestDatabases {
  H2,
  POSTGRESQL;

  private static volatile Boolean postgresReachable;

  /** A fresh database (H2) or the shared test database (PostgreSQL); skips if unreachable. */
  DataSource dataSource() {
    if (this == H2) {
      JdbcDataSource ds = new JdbcDataSource();
      ds.setURL("jdbc:h2:mem:fields-" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
      ds.setUser("sa");
      return ds;
    }
    assumeTrue(postgresReachable(), "PostgreSQL is not reachable on 127.0.0.1:5432");
    return postgres();
  }

  private static PGSimpleDataSource postgres() {
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {"127.0.0.1"});
    ds.setPortNumbers(new int[] {5432});
    ds.setDatabaseName("test");
    ds.setUser("postgres");
    ds.setConnectTimeout(2);
    ds.setLoginTimeout(2);
    return ds;
  }

  static boolean postgresReachable() {
    Boolean r = postgresReachable;
    if (r == null) {
      try (Connection c = postgres().getConnection()) {
        r = c.isValid(2);
      } catch (SQLException e) {
        r = false;
      }
      postgresReachable = r;
    }
    return r;
  }

  /** A table name no concurrent test run uses. */
  static String uniqueTable(String prefix) {
    byte[] b = new byte[6];
    ThreadLocalRandom.current().nextBytes(b);
    return prefix + "_" + HexFormat.of().formatHex(b);
  }

  /** Drops test tables (PostgreSQL is shared), or the whole in-memory database (H2). */
  static void drop(DataSource ds, String... tables) {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      if (c.getMetaData().getDatabaseProductName().equals("H2")) {
        s.execute("SHUTDOWN");
        return;
      }
      for (String t : tables) {
        s.execute("DROP TABLE IF EXISTS " + t);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cleanup failed", e);
    }
  }
}
