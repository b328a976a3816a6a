package dev.envelope.secrets;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A database with a dedicated login whose password the tests rotate: embedded H2, or the
 * PostgreSQL server on 127.0.0.1:5432 when it is reachable and really checks passwords.
 */
abstract class TestDatabase implements AutoCloseable {
  static final String PG_URL = "jdbc:postgresql://127.0.0.1:5432/test";

  final String user;
  final String url;
  final Connection admin;

  private TestDatabase(String user, String url, Connection admin) {
    this.user = user;
    this.url = url;
    this.admin = admin;
  }

  static String randomPassword() {
    byte[] b = new byte[12];
    ThreadLocalRandom.current().nextBytes(b);
    return "pw-" + HexFormat.of().formatHex(b);
  }

  abstract Driver driver() throws SQLException;

  /** What {@code SELECT CURRENT_USER} answers when logged in as {@link #user}. */
  abstract String currentUserAnswer();

  abstract void setPassword(String password) throws SQLException;

  @Override
  public abstract void close() throws SQLException;

  /** Logs in as {@link #user} with {@code password} without any secret machinery; true if accepted. */
  boolean accepts(String password) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    try (Connection c = driver().connect(url, p)) {
      return c != null;
    } catch (SQLException e) {
      if (e.getSQLState() != null && e.getSQLState().startsWith("28")) {
        return false;
      }
      throw e;
    }
  }

  static String queryUser(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT CURRENT_USER")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** An in-memory H2 database; H2 checks passwords on every login. */
  static TestDatabase h2(String initialPassword) throws SQLException {
    String url = "jdbc:h2:mem:rotation-" + randomPassword();
    // Only an admin may set DB_CLOSE_DELAY; the open admin session keeps the database alive anyway.
    Connection admin = DriverManager.getConnection(url + ";DB_CLOSE_DELAY=-1", "SA", "admin-" + randomPassword());
    try (Statement s = admin.createStatement()) {
      s.execute("CREATE USER APP PASSWORD '" + initialPassword + "'");
    }
    return new TestDatabase("APP", url, admin) {
      @Override
      Driver driver() {
        return new org.h2.Driver();
      }

      @Override
      String currentUserAnswer() {
        return "APP";
      }

      @Override
      void setPassword(String password) throws SQLException {
        try (Statement s = admin.createStatement()) {
          s.execute("ALTER USER APP SET PASSWORD '" + password + "'");
        }
      }

      @Override
      public void close() throws SQLException {
        try (Statement s = admin.createStatement()) {
          s.execute("SHUTDOWN");
        }
        admin.close();
      }
    };
  }

  /**
   * A fresh login role on the local PostgreSQL server, or a reason why the server cannot be used
   * for a password rotation test.
   */
  static Object postgres(String initialPassword) {
    Properties p = new Properties();
    p.setProperty("user", "postgres");
    p.setProperty("connectTimeout", "2");
    p.setProperty("loginTimeout", "3");
    Connection admin;
    try {
      admin = new org.postgresql.Driver().connect(PG_URL, p);
    } catch (SQLException e) {
      return "PostgreSQL is not reachable at 127.0.0.1:5432 (" + e.getSQLState() + ")";
    }
    String role = "envelope_rotation_" + randomPassword().substring(3, 15);
    TestDatabase db;
    try {
      try (Statement s = admin.createStatement()) {
        s.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + initialPassword + "'");
      }
      db = new TestDatabase(role, PG_URL, admin) {
        @Override
        Driver driver() {
          return new org.postgresql.Driver();
        }

        @Override
        String currentUserAnswer() {
          return role;
        }

        @Override
        void setPassword(String password) throws SQLException {
          try (Statement s = admin.createStatement()) {
            s.execute("ALTER ROLE " + role + " PASSWORD '" + password + "'");
          }
        }

        @Override
        public void close() throws SQLException {
          try (Statement s = admin.createStatement()) {
            s.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '" + role + "'");
            s.execute("DROP ROLE IF EXISTS " + role);
          }
          admin.close();
        }
      };
    } catch (SQLException e) {
      closeQuietly(admin);
      return "cannot create a login role on PostgreSQL: " + e.getSQLState();
    }
    try {
      // With trust authentication PostgreSQL accepts any password; a rotation test would prove nothing.
      if (db.accepts("not-the-password-" + randomPassword())) {
        String rules = hbaRules(admin);
        db.close();
        return "PostgreSQL at 127.0.0.1:5432 accepts any password for TCP logins from 127.0.0.1 "
            + "(pg_hba.conf rules: " + rules + "), so password rotation cannot be tested against it";
      }
      return db;
    } catch (SQLException e) {
      closeQuietly(db);
      return "cannot check PostgreSQL authentication: " + e.getSQLState();
    }
  }

  private static String hbaRules(Connection admin) {
    List<String> rules = new ArrayList<>();
    try (Statement s = admin.createStatement();
        ResultSet rs = s.executeQuery("SELECT type, address, auth_method FROM pg_hba_file_rules")) {
      while (rs.next()) {
        rules.add(rs.getString(1) + " " + (rs.getString(2) == null ? "" : rs.getString(2) + " ") + rs.getString(3));
      }
    } catch (SQLException e) {
      return "unreadable: " + e.getSQLState();
    }
    return String.join("; ", rules);
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // best effort cleanup of a test role
    }
  }
}
