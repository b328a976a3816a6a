package dev.envelope.testkit.jdbc;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * A JDBC {@link Driver} that wraps a real one and counts physical logins: accepted, rejected for
 * bad credentials, and accepted per password. For tests of credential rotation, where what matters
 * is which password each new connection really used and whether the database refused a stale one.
 *
 * <pre>{@code
 * CountingDriver driver = new CountingDriver(new org.h2.Driver());
 * DataSource ds = RotatingDataSource.builder()...driver(driver).build();
 * // rotate the password, open connections ...
 * assertThat(driver.acceptedWith(newPassword)).isPositive();
 * assertThat(driver.rejected()).isEqualTo(1);
 * }</pre>
 *
 * <p>A login counts as rejected when the driver throws an {@link SQLException} whose SQLState is
 * in class 28 (invalid authorization specification), which H2 and PostgreSQL use for a wrong
 * password; other failures are passed on uncounted. The database must really check passwords for
 * the counts to mean anything (H2 does; a PostgreSQL that trusts local connections does not).
 * A login without a {@code password} property counts as accepted but under no password.
 * Thread-safe; the counts only grow.
 */
public final class CountingDriver implements Driver {
  private final Driver delegate;
  private final AtomicInteger accepted = new AtomicInteger();
  private final AtomicInteger rejected = new AtomicInteger();
  private final Map<String, AtomicInteger> acceptedByPassword = new ConcurrentHashMap<>();

  /** Counts the logins made through {@code delegate}. */
  public CountingDriver(Driver delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** Connections the database opened through this driver. */
  public int accepted() {
    return accepted.get();
  }

  /** Logins the database refused for bad credentials (SQLState class 28). */
  public int rejected() {
    return rejected.get();
  }

  /** Connections opened through this driver with {@code password}. */
  public int acceptedWith(String password) {
    AtomicInteger n = acceptedByPassword.get(password);
    return n == null ? 0 : n.get();
  }

  /**
   * Whether the database accepts {@code user} with {@code password} now: one login through the
   * wrapped driver, closed at once and not counted.
   *
   * @throws SQLException if the login fails for another reason than bad credentials
   */
  public boolean accepts(String url, String user, String password) throws SQLException {
    Properties p = new Properties();
    p.setProperty("user", user);
    p.setProperty("password", password);
    try (Connection c = delegate.connect(url, p)) {
      return c != null;
    } catch (SQLException e) {
      if (isBadCredentials(e)) {
        return false;
      }
      throw e;
    }
  }

  @Override
  public Connection connect(String url, Properties info) throws SQLException {
    try {
      Connection c = delegate.connect(url, info);
      if (c != null) {
        accepted.incrementAndGet();
        String password = info.getProperty("password");
        if (password != null) {
          acceptedByPassword.computeIfAbsent(password, p -> new AtomicInteger()).incrementAndGet();
        }
      }
      return c;
    } catch (SQLException e) {
      if (isBadCredentials(e)) {
        rejected.incrementAndGet();
      }
      throw e;
    }
  }

  private static boolean isBadCredentials(SQLException e) {
    return e.getSQLState() != null && e.getSQLState().startsWith("28");
  }

  @Override
  public boolean acceptsURL(String url) throws SQLException {
    return delegate.acceptsURL(url);
  }

  @Override
  public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) throws SQLException {
    return delegate.getPropertyInfo(url, info);
  }

  @Override
  public int getMajorVersion() {
    return delegate.getMajorVersion();
  }

  @Override
  public int getMinorVersion() {
    return delegate.getMinorVersion();
  }

  @Override
  public boolean jdbcCompliant() {
    return delegate.jdbcCompliant();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return delegate.getParentLogger();
  }

  @Override
  public String toString() {
    return "CountingDriver[accepted=" + accepted + ", rejected=" + rejected + "]";
  }
}
