package dev.envelope.cli;

import dev.envelope.secrets.SecretStore;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;
import picocli.CommandLine.Option;

/** {@code --jdbc-url}, {@code --user} and {@code --password-secret}, shared by the table commands. */
final class DatabaseOptions {
  @Option(names = "--jdbc-url", required = true, paramLabel = "URL",
      description = "JDBC URL, e.g. jdbc:postgresql://db:5432/app or jdbc:h2:file:./app.")
  String jdbcUrl;

  @Option(names = "--user", paramLabel = "USER", description = "Database user.")
  String user;

  @Option(names = "--password-secret", paramLabel = "NAME",
      description = "Secret holding the database password: env:NAME, file:PATH (a secret file), or a bare "
          + "environment variable name.")
  String passwordSecret;

  DataSource dataSource() {
    return new DriverDataSource(jdbcUrl, user, password());
  }

  /**
   * The password from a secret store: {@code file:PATH} reads a secret file (Docker and
   * Kubernetes secrets; surrounding whitespace stripped), {@code env:NAME} or a bare NAME an
   * environment variable ({@code prod/db} is also found as {@code PROD_DB}).
   */
  private String password() {
    if (passwordSecret == null) {
      return null;
    }
    if (passwordSecret.startsWith("file:")) {
      Path file = Path.of(passwordSecret.substring(5)).toAbsolutePath();
      if (file.getParent() == null || file.getFileName() == null) {
        throw new IllegalArgumentException("--password-secret file: needs a file path");
      }
      return SecretStore.directory(file.getParent()).get(file.getFileName().toString()).asString().strip();
    }
    String name = passwordSecret.startsWith("env:") ? passwordSecret.substring(4) : passwordSecret;
    return SecretStore.environment().get(name).asString();
  }

  /** DriverManager behind the DataSource the jobs take; one connection per job run. */
  private static final class DriverDataSource implements DataSource {
    private final String url;
    private final String user;
    private final String password;

    DriverDataSource(String url, String user, String password) {
      if (url == null || !url.startsWith("jdbc:")) {
        throw new IllegalArgumentException("--jdbc-url must start with jdbc:");
      }
      this.url = url;
      this.user = user;
      this.password = password;
    }

    @Override
    public Connection getConnection() throws SQLException {
      Properties p = new Properties();
      if (user != null) {
        p.setProperty("user", user);
      }
      if (password != null) {
        p.setProperty("password", password);
      }
      return DriverManager.getConnection(url, p);
    }

    @Override
    public Connection getConnection(String username, String pw) throws SQLException {
      return DriverManager.getConnection(url, username, pw);
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

    @Override
    public String toString() {
      return "DriverDataSource[" + url.replaceAll("password=[^&;]*", "password=***") + "]";
    }
  }
}
