package dev.envelope.rotation;

import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * Simulates a process dying at the n-th database operation (statement execution or commit): the
 * connection is rolled back and closed under the job, as a server does when its client vanishes,
 * and every later call on it fails. {@code afterCommit} lets a commit reach the database before the
 * crash, so the job never learns it succeeded.
 */
final class FaultyDataSource implements DataSource {
  private final DataSource delegate;
  private final AtomicInteger ops = new AtomicInteger();
  private volatile int failAt = -1;
  private volatile boolean afterCommit;

  FaultyDataSource(DataSource delegate) {
    this.delegate = delegate;
  }

  void arm(int op, boolean afterCommit) {
    ops.set(0);
    this.afterCommit = afterCommit;
    this.failAt = op;
  }

  void disarm() {
    failAt = -1;
  }

  @Override
  public Connection getConnection() throws SQLException {
    return wrap(delegate.getConnection());
  }

  @Override
  public Connection getConnection(String user, String password) throws SQLException {
    return wrap(delegate.getConnection(user, password));
  }

  private Connection wrap(Connection real) {
    Dead dead = new Dead();
    return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
        new Handler(real, real, dead));
  }

  private static final class Dead {
    volatile boolean value;
  }

  private final class Handler implements InvocationHandler {
    private final Object target;
    private final Connection connection;
    private final Dead dead;

    Handler(Object target, Connection connection, Dead dead) {
      this.target = target;
      this.connection = connection;
      this.dead = dead;
    }

    @Override
    public Object invoke(Object proxy, Method m, Object[] args) throws Throwable {
      String name = m.getName();
      if (dead.value) {
        if (name.equals("close") || name.equals("isClosed")) {
          return name.equals("isClosed") ? Boolean.TRUE : null;
        }
        throw new SQLException("connection lost (simulated crash)", "08006");
      }
      boolean op = name.startsWith("execute") || name.equals("commit");
      boolean crash = op && failAt > 0 && ops.incrementAndGet() == failAt;
      if (crash && !(name.equals("commit") && afterCommit)) {
        die();
      }
      Object result;
      try {
        result = m.invoke(target, args);
      } catch (InvocationTargetException e) {
        throw e.getCause();
      }
      if (crash) {
        die();
      }
      if (result instanceof PreparedStatement ps) {
        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {PreparedStatement.class},
            new Handler(ps, connection, dead));
      }
      if (result instanceof Statement s) {
        return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Statement.class},
            new Handler(s, connection, dead));
      }
      return result;
    }

    private void die() throws SQLException {
      dead.value = true;
      failAt = -1;
      try {
        connection.rollback();
      } catch (SQLException ignored) {
        // dying anyway
      }
      connection.close();
      throw new SQLException("connection lost (simulated crash)", "08006");
    }
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {}

  @Override
  public void setLoginTimeout(int seconds) {}

  @Override
  public int getLoginTimeout() {
    return 0;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    throw new SQLException("not a wrapper");
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return false;
  }
}
