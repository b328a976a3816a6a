package dev.envelope.secrets;

import org.jspecify.annotations.Nullable;

/**
 * Database credentials in the JSON shape AWS Secrets Manager uses for database secrets
 * ({@code {"username":…, "password":…, "host":…, "port":…, "dbname":…, "engine":…}}); other fields
 * are ignored. Read with {@code secret.asJson(DbCredentials.class)}.
 *
 * <p>{@code toString()} never shows the password.
 *
 * @param port a JSON number or a numeric string
 */
public record DbCredentials(
    @Nullable String username,
    @Nullable String password,
    @Nullable String host,
    @Nullable Integer port,
    @Nullable String dbname,
    @Nullable String engine) {

  @Override
  public String toString() {
    return "DbCredentials[username=" + username
        + ", password=" + (password == null ? "null" : "(redacted)")
        + ", host=" + host + ", port=" + port + ", dbname=" + dbname + ", engine=" + engine + "]";
  }
}
