package dev.envelope.secrets;

import dev.envelope.core.EnvelopeException;
import dev.envelope.core.SecretNotFoundException;
import dev.envelope.secrets.internal.AuthFailures;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.function.Supplier;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * A JDBC {@link DataSource} whose credentials come from a secret that rotates. Put a pool in front
 * of it (HikariCP: {@code config.setDataSource(rotating)}); it opens physical connections only.
 *
 * <pre>{@code
 * DataSource ds = RotatingDataSource.builder().secrets(secrets).secretName("prod/db")
 *     .jdbcUrl("jdbc:postgresql://db.internal:5432/app").build();
 * }</pre>
 *
 * <p>The secret is either JSON in the {@link DbCredentials} shape ({@code username}, {@code
 * password}; other fields ignored — the URL comes from {@link Builder#jdbcUrl}) or a bare password
 * used with {@link Builder#username}.
 *
 * <p>Opening a connection: log in with the cached current version. If the driver reports an
 * authentication failure (SQLState class 28, PostgreSQL 28P01, H2 28000, MySQL/MariaDB 1045), the
 * secret is refreshed ({@link CachingSecrets#refreshNow}) and, if that gives other credentials, the
 * login retried once. If that fails too and a rotation is under way (the store has a
 * {@link Version#pending()} version), the pending credentials are tried: between the moment a
 * rotation changes the password in the database and the moment it promotes the new version, only
 * they work. A pending version that worked is tried first until the cache's current version catches
 * up with it. Every other error is thrown as the driver reported it. Connections already open are
 * never touched, so they keep working across rotations.
 */
public final class RotatingDataSource implements DataSource {
  private final CachingSecrets secrets;
  private final String secretName;
  private final String jdbcUrl;
  private final Properties properties;
  private final @Nullable String username;
  private final @Nullable Driver explicitDriver;
  private volatile @Nullable Driver resolvedDriver;
  private volatile @Nullable SecretValue preferred;
  private volatile @Nullable PrintWriter logWriter;
  private volatile int loginTimeout;

  private RotatingDataSource(Builder b, CachingSecrets secrets, String secretName, String jdbcUrl) {
    this.secrets = secrets;
    this.secretName = secretName;
    this.jdbcUrl = jdbcUrl;
    this.properties = (Properties) b.properties.clone();
    this.username = b.username;
    this.explicitDriver = b.driver;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The secret name this data source logs in with. */
  public String secretName() {
    return secretName;
  }

  @Override
  public Connection getConnection() throws SQLException {
    SecretValue current = readSecret(() -> secrets.get(secretName));
    List<SecretValue> tried = new ArrayList<>(4);
    SQLException rejected = null;

    SecretValue pref = preferred;
    if (pref != null && pref.sameValue(current)) {
      preferred = null;
    } else if (pref != null) {
      try {
        return login(pref, tried);
      } catch (SQLException e) {
        rejected = authFailureOrThrow(e, null);
        preferred = null;
      }
    }

    if (!triedAlready(tried, current)) {
      try {
        return login(current, tried);
      } catch (SQLException e) {
        rejected = authFailureOrThrow(e, rejected);
      }
    }

    SecretValue fresh = readAfterRejection(rejected, false, () -> secrets.refreshNow(secretName));
    if (fresh != null && !triedAlready(tried, fresh)) {
      try {
        return login(fresh, tried);
      } catch (SQLException e) {
        rejected = authFailureOrThrow(e, rejected);
      }
    }

    SecretValue pending = readAfterRejection(rejected, true,
        () -> secrets.refreshNow(secretName, Version.pending()));
    if (pending != null && !triedAlready(tried, pending)) {
      try {
        Connection c = login(pending, tried);
        preferred = pending;
        return c;
      } catch (SQLException e) {
        rejected = authFailureOrThrow(e, rejected);
      }
    }
    throw Objects.requireNonNull(rejected);
  }

  /** Returns the first authentication failure (keeping later ones as suppressed) or rethrows {@code e}. */
  private static SQLException authFailureOrThrow(SQLException e, @Nullable SQLException first)
      throws SQLException {
    if (!AuthFailures.isAuthFailure(e)) {
      throw e;
    }
    if (first == null) {
      return e;
    }
    first.addSuppressed(e);
    return first;
  }

  private static boolean triedAlready(List<SecretValue> tried, SecretValue v) {
    for (SecretValue t : tried) {
      if (t.sameValue(v)) {
        return true;
      }
    }
    return false;
  }

  private SecretValue readSecret(Supplier<SecretValue> read) throws SQLException {
    try {
      return read.get();
    } catch (EnvelopeException e) {
      throw new SQLException("cannot read database credentials from secret '" + secretName + "': "
          + e.getMessage(), "08001", e);
    }
  }

  /** A secret read after a rejected login; its failure is attached to the rejection, not thrown. */
  private @Nullable SecretValue readAfterRejection(@Nullable SQLException rejected,
      boolean pending, Supplier<SecretValue> read) {
    try {
      return read.get();
    } catch (SecretNotFoundException e) {
      if (pending) {
        return null; // no rotation under way
      }
      if (rejected != null) {
        rejected.addSuppressed(e);
      }
      return null;
    } catch (EnvelopeException e) {
      if (rejected != null) {
        rejected.addSuppressed(e);
      }
      return null;
    }
  }

  private Connection login(SecretValue secret, List<SecretValue> tried) throws SQLException {
    tried.add(secret);
    Properties p = (Properties) properties.clone();
    String user;
    String password;
    try {
      String text = secret.asString();
      if (text.stripLeading().startsWith("{")) {
        DbCredentials c = secret.asJson(DbCredentials.class);
        user = c.username() != null ? c.username() : username;
        password = c.password();
        if (password == null) {
          throw new SQLException("secret '" + secretName + "' version '" + secret.versionId()
              + "' has no password field", "08001");
        }
      } else {
        user = username;
        password = text;
      }
    } catch (SecretFormatException e) {
      throw new SQLException(e.getMessage(), "08001", e);
    }
    if (user == null) {
      throw new SQLException("secret '" + secretName + "' has no username and the builder set none",
          "08001");
    }
    p.setProperty("user", user);
    p.setProperty("password", password);
    Connection c = driver().connect(jdbcUrl, p);
    if (c == null) {
      throw new SQLException("the JDBC driver does not accept the URL of this data source", "08001");
    }
    return c;
  }

  private Driver driver() throws SQLException {
    Driver d = explicitDriver != null ? explicitDriver : resolvedDriver;
    if (d == null) {
      d = resolvedDriver = DriverManager.getDriver(jdbcUrl);
    }
    return d;
  }

  /**
   * Not supported: the credentials come from the secret.
   *
   * @throws SQLFeatureNotSupportedException always
   */
  @Override
  public Connection getConnection(String user, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException(
        "RotatingDataSource takes its credentials from the secret; call getConnection()");
  }

  @Override
  public @Nullable PrintWriter getLogWriter() {
    return logWriter;
  }

  @Override
  public void setLogWriter(@Nullable PrintWriter out) {
    this.logWriter = out;
  }

  /** Recorded for {@link #getLoginTimeout()}; set a driver's own timeout with {@link Builder#property}. */
  @Override
  public void setLoginTimeout(int seconds) {
    this.loginTimeout = seconds;
  }

  @Override
  public int getLoginTimeout() {
    return loginTimeout;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException("RotatingDataSource does not use java.util.logging");
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    throw new SQLException("RotatingDataSource is not a wrapper for " + iface.getName());
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this);
  }

  /** Shows the secret name only: a JDBC URL may carry credentials. */
  @Override
  public String toString() {
    return "RotatingDataSource[secret=" + secretName + "]";
  }

  /** Settings for {@link RotatingDataSource}. */
  public static final class Builder {
    private @Nullable CachingSecrets secrets;
    private @Nullable String secretName;
    private @Nullable String jdbcUrl;
    private @Nullable String username;
    private @Nullable Driver driver;
    private final Properties properties = new Properties();

    private Builder() {}

    /** Required: where the credentials are read. */
    public Builder secrets(CachingSecrets secrets) {
      this.secrets = Objects.requireNonNull(secrets, "secrets");
      return this;
    }

    /** Required: the secret holding the credentials. */
    public Builder secretName(String secretName) {
      Objects.requireNonNull(secretName, "secretName");
      if (secretName.isBlank()) {
        throw new IllegalArgumentException("secretName must not be blank");
      }
      this.secretName = secretName;
      return this;
    }

    /** Required: the database URL, e.g. {@code jdbc:postgresql://host:5432/app}. */
    public Builder jdbcUrl(String jdbcUrl) {
      Objects.requireNonNull(jdbcUrl, "jdbcUrl");
      if (!jdbcUrl.startsWith("jdbc:")) {
        throw new IllegalArgumentException("jdbcUrl must start with jdbc:");
      }
      this.jdbcUrl = jdbcUrl;
      return this;
    }

    /** User name for secrets that hold a bare password or JSON without {@code username}. */
    public Builder username(String username) {
      Objects.requireNonNull(username, "username");
      if (username.isBlank()) {
        throw new IllegalArgumentException("username must not be blank");
      }
      this.username = username;
      return this;
    }

    /** The driver to use; default: the one {@link DriverManager} finds for the URL. */
    public Builder driver(Driver driver) {
      this.driver = Objects.requireNonNull(driver, "driver");
      return this;
    }

    /** A driver property (e.g. {@code ssl}, {@code connectTimeout}); not {@code user} or {@code password}. */
    public Builder property(String key, String value) {
      Objects.requireNonNull(key, "key");
      Objects.requireNonNull(value, "value");
      if (key.equalsIgnoreCase("user") || key.equalsIgnoreCase("password")) {
        throw new IllegalArgumentException("the credentials come from the secret; do not set " + key);
      }
      properties.setProperty(key, value);
      return this;
    }

    /** Adds every entry of {@code driverProperties}, as {@link #property} would. */
    public Builder properties(Properties driverProperties) {
      for (Map.Entry<Object, Object> e : driverProperties.entrySet()) {
        property(String.valueOf(e.getKey()), String.valueOf(e.getValue()));
      }
      return this;
    }

    /** @throws IllegalStateException if secrets, secretName or jdbcUrl is missing */
    public RotatingDataSource build() {
      if (secrets == null) {
        throw new IllegalStateException("secrets is required");
      }
      if (secretName == null) {
        throw new IllegalStateException("secretName is required");
      }
      if (jdbcUrl == null) {
        throw new IllegalStateException("jdbcUrl is required");
      }
      return new RotatingDataSource(this, secrets, secretName, jdbcUrl);
    }
  }
}
