package dev.envelope.secrets;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/** Wraps a real driver and counts physical logins: accepted, rejected, and accepted per password. */
final class CountingDriver implements Driver {
  private final Driver delegate;
  final AtomicInteger accepted = new AtomicInteger();
  final AtomicInteger rejected = new AtomicInteger();
  private final Map<String, AtomicInteger> acceptedByPassword = new ConcurrentHashMap<>();

  CountingDriver(Driver delegate) {
    this.delegate = delegate;
  }

  int acceptedWith(String password) {
    AtomicInteger n = acceptedByPassword.get(password);
    return n == null ? 0 : n.get();
  }

  @Override
  public Connection connect(String url, Properties info) throws SQLException {
    try {
      Connection c = delegate.connect(url, info);
      if (c != null) {
        accepted.incrementAndGet();
        acceptedByPassword.computeIfAbsent(info.getProperty("password"), p -> new AtomicInteger()).incrementAndGet();
      }
      return c;
    } catch (SQLException e) {
      if (e.getSQLState() != null && e.getSQLState().startsWith("28")) {
        rejected.incrementAndGet();
      }
      throw e;
    }
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
}
