package dev.envelope.testkit.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverPropertyInfo;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Objects;
import java.util.Properties;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class CountingDriverTest {
  static final String URL = "jdbc:stub:db";

  /** Accepts only {@code password} (null: no password); others fail with SQLState 28000, another URL with 08001. */
  static final class StubDriver implements Driver {
    volatile String password = "right";

    @Override
    public Connection connect(String url, Properties info) throws SQLException {
      if (!url.equals(URL)) {
        throw new SQLException("cannot reach the database", "08001");
      }
      if (!Objects.equals(password, info.getProperty("password"))) {
        throw new SQLException("wrong user name or password", "28000");
      }
      return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
          (proxy, method, args) -> null);
    }

    @Override
    public boolean acceptsURL(String url) {
      return url.startsWith("jdbc:stub:");
    }

    @Override
    public DriverPropertyInfo[] getPropertyInfo(String url, Properties info) {
      return new DriverPropertyInfo[0];
    }

    @Override
    public int getMajorVersion() {
      return 7;
    }

    @Override
    public int getMinorVersion() {
      return 3;
    }

    @Override
    public boolean jdbcCompliant() {
      return false;
    }

    @Override
    public Logger getParentLogger() throws SQLFeatureNotSupportedException {
      throw new SQLFeatureNotSupportedException();
    }
  }

  static Properties login(String password) {
    Properties p = new Properties();
    p.setProperty("user", "APP");
    p.setProperty("password", password);
    return p;
  }

  @Test
  void connect_acceptedAndRejectedLogins_countedPerPassword() throws SQLException {
    StubDriver db = new StubDriver();
    CountingDriver driver = new CountingDriver(db);

    driver.connect(URL, login("right"));
    driver.connect(URL, login("right"));
    assertThatThrownBy(() -> driver.connect(URL, login("stale"))).isInstanceOf(SQLException.class);
    db.password = "next";
    driver.connect(URL, login("next"));

    assertThat(driver.accepted()).isEqualTo(3);
    assertThat(driver.rejected()).isEqualTo(1);
    assertThat(driver.acceptedWith("right")).isEqualTo(2);
    assertThat(driver.acceptedWith("next")).isEqualTo(1);
    assertThat(driver.acceptedWith("stale")).isZero();
  }

  @Test
  void connect_failureOtherThanCredentials_passedOnUncounted() {
    CountingDriver driver = new CountingDriver(new StubDriver());

    assertThatThrownBy(() -> driver.connect("jdbc:stub:elsewhere", login("right")))
        .isInstanceOf(SQLException.class).extracting(e -> ((SQLException) e).getSQLState()).isEqualTo("08001");
    assertThat(driver.accepted()).isZero();
    assertThat(driver.rejected()).isZero();
  }

  @Test
  void accepts_checksCredentialsWithoutCounting() throws SQLException {
    CountingDriver driver = new CountingDriver(new StubDriver());

    assertThat(driver.accepts(URL, "APP", "right")).isTrue();
    assertThat(driver.accepts(URL, "APP", "wrong")).isFalse();
    assertThatThrownBy(() -> driver.accepts("jdbc:stub:elsewhere", "APP", "right")).isInstanceOf(SQLException.class);
    assertThat(driver.accepted()).isZero();
    assertThat(driver.rejected()).isZero();
  }

  @Test
  void connect_withoutPassword_countedAsAcceptedOnly() throws SQLException {
    StubDriver db = new StubDriver();
    db.password = null;
    CountingDriver driver = new CountingDriver(db);

    assertThat(driver.connect(URL, new Properties())).isNotNull();
    assertThat(driver.accepted()).isEqualTo(1);
    assertThat(driver.acceptedWith("right")).isZero();
  }

  @Test
  void driverMethods_delegated() throws SQLException {
    CountingDriver driver = new CountingDriver(new StubDriver());

    assertThat(driver.acceptsURL("jdbc:stub:x")).isTrue();
    assertThat(driver.acceptsURL("jdbc:other:x")).isFalse();
    assertThat(driver.getMajorVersion()).isEqualTo(7);
    assertThat(driver.getMinorVersion()).isEqualTo(3);
    assertThat(driver.jdbcCompliant()).isFalse();
    assertThat(driver.getPropertyInfo(URL, new Properties())).isEmpty();
    assertThatThrownBy(driver::getParentLogger).isInstanceOf(SQLFeatureNotSupportedException.class);
  }
}
