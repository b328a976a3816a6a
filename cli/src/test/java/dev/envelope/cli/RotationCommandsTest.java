package dev.envelope.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.FieldEncryptor;
import dev.envelope.core.JdbcDataKeyStore;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.LocalKeyStore;
import dev.envelope.core.MasterKey;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Base64;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RotationCommandsTest {
  @TempDir
  Path dir;

  private Path keyfile;
  private String url;

  record Result(int code, String out, String err) {}

  static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new ByteArrayInputStream(new byte[0]), out, err);
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @BeforeEach
  void setUp() {
    keyfile = dir.resolve("app.keys");
    assertThat(run("keys", "create", "--keyfile", keyfile.toString(), "--name", "old").code()).isZero();
    assertThat(run("keys", "create", "--keyfile", keyfile.toString(), "--name", "new").code()).isZero();
    url = "jdbc:h2:mem:cli_" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1";
  }

  private MasterKey key(String name) {
    return LocalKeyStore.open(keyfile).masterKey(name);
  }

  private String spec(String name) {
    return "local:" + keyfile + "#" + name;
  }

  private static EncryptionContext ctx(long id) {
    return EncryptionContext.of("table", "users", "id", Long.toString(id));
  }

  /** users(id, ssn) with {@code rows} values under key {@code name}; text columns hold base64. */
  private void createTable(boolean text, int rows, String name) throws Exception {
    try (Envelope env = Envelope.builder().masterKeys(key(name)).build();
        Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE users (id BIGINT PRIMARY KEY, ssn " + (text ? "VARCHAR(4000)" : "VARBINARY(4000)") + ")");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO users VALUES (?, ?)")) {
        for (long id = 1; id <= rows; id++) {
          byte[] v = env.encrypt(("ssn-" + id).getBytes(StandardCharsets.UTF_8), ctx(id));
          ps.setLong(1, id);
          if (text) {
            ps.setString(2, Base64.getEncoder().encodeToString(v));
          } else {
            ps.setBytes(2, v);
          }
          ps.executeUpdate();
        }
      }
    }
  }

  private byte[] value(long id, boolean text) throws Exception {
    try (Connection c = DriverManager.getConnection(url);
        PreparedStatement ps = c.prepareStatement("SELECT ssn FROM users WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return text ? Base64.getDecoder().decode(rs.getString(1)) : rs.getBytes(1);
      }
    }
  }

  @Test
  void reencrypt_corruptRow_jsonReportExit5AndOtherRowsUnderNewKey() throws Exception {
    createTable(false, 40, "old");
    try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE users SET ssn = X'00010203' WHERE id = 17");
    }

    Result r = run("reencrypt", "--jdbc-url", url, "--table", "users", "--column", "ssn",
        "--context-template", "table=users,id={id}", "--from-key", spec("old"), "--to-key", spec("new"),
        "--batch", "16", "--json", "--progress", "none", "--job-id", "ssn-1");

    assertThat(r.code()).as(r.err()).isEqualTo(ReencryptCommand.EXIT_ROWS_FAILED);
    JsonNode report = new ObjectMapper().readTree(r.out());
    assertThat(report.get("jobId").asText()).isEqualTo("ssn-1");
    assertThat(report.get("state").asText()).isEqualTo("COMPLETED");
    assertThat(report.get("scanned").asLong()).isEqualTo(40);
    assertThat(report.get("changed").asLong()).isEqualTo(39);
    assertThat(report.get("failed").asLong()).isEqualTo(1);
    assertThat(report.get("failures").get(0).get("id").asText()).isEqualTo("17");
    assertThat(report.get("failures").get(0).get("reason").asText()).isEqualTo("INVALID_CIPHERTEXT");
    assertThat(r.out() + r.err()).doesNotContain("ssn-3");
    try (Envelope newOnly = Envelope.builder().masterKeys(key("new")).build()) {
      assertThat(newOnly.decrypt(value(3, false), ctx(3))).isEqualTo("ssn-3".getBytes(StandardCharsets.UTF_8));
    }
    assertThat(value(17, false)).containsExactly(0, 1, 2, 3);

    Result again = run("reencrypt", "--jdbc-url", url, "--table", "users", "--column", "ssn",
        "--context-template", "table=users,id={id}", "--from-key", spec("old"), "--to-key", spec("new"),
        "--progress", "none");
    assertThat(again.out()).contains("already current  39");
  }

  @Test
  void reencrypt_textColumn_dryRunThenLimitThenResume() throws Exception {
    createTable(true, 30, "old");
    String[] base = {"reencrypt", "--jdbc-url", url, "--table", "users", "--column", "ssn",
        "--context-template", "table=users,id={id}", "--from-key", spec("old"), "--to-key", spec("new"),
        "--batch", "7", "--progress", "lines"};

    byte[] before = value(5, true);
    Result dry = run(concat(base, "--dry-run"));
    assertThat(dry.code()).as(dry.err()).isZero();
    assertThat(dry.out()).contains("dry run").contains("would change     30");
    assertThat(value(5, true)).isEqualTo(before);

    Result paused = run(concat(base, "--job-id", "t1", "--limit", "10"));
    assertThat(paused.code()).as(paused.err()).isZero();
    assertThat(paused.out()).contains("PAUSED").contains("--resume t1");
    assertThat(paused.err()).contains("reencrypt job t1").contains("10 rows scanned");

    Result rest = run(concat(base, "--resume", "t1"));
    assertThat(rest.code()).as(rest.err()).isZero();
    assertThat(rest.out()).contains("COMPLETED").contains("scanned          30");
    try (Envelope newOnly = Envelope.builder().masterKeys(key("new")).build()) {
      for (long id = 1; id <= 30; id++) {
        assertThat(newOnly.decrypt(value(id, true), ctx(id))).isEqualTo(("ssn-" + id).getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  @Test
  void rewrap_afterKeysRotate_everyValueNamesTheNewVersion() throws Exception {
    createTable(false, 25, "old");
    assertThat(run("keys", "rotate", "--keyfile", keyfile.toString(), "--name", "old").code()).isZero();

    Result r = run("rewrap", "--jdbc-url", url, "--table", "users", "--column", "ssn",
        "--context-template", "table=users,id={id}", "--to-key", spec("old"), "--json", "--progress", "bar",
        "--batch", "10");

    assertThat(r.code()).as(r.err()).isZero();
    assertThat(new ObjectMapper().readTree(r.out()).get("changed").asLong()).isEqualTo(25);
    for (long id = 1; id <= 25; id++) {
      assertThat(Envelope.inspect(value(id, false)).keys().get(0).version()).isEqualTo("2");
    }
  }

  @Test
  void reencrypt_passwordFromSecretFile_connectsAndWrongPasswordExits4() throws Exception {
    url = "jdbc:h2:mem:cli_pw_" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1";
    try (Connection c = DriverManager.getConnection(url, "admin", "s3cret-pw"); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE users (id BIGINT PRIMARY KEY, ssn VARBINARY(4000))");
    }
    Path good = java.nio.file.Files.writeString(dir.resolve("db-password"), "s3cret-pw\n");
    Path bad = java.nio.file.Files.writeString(dir.resolve("wrong-password"), "nope");
    String[] base = {"reencrypt", "--jdbc-url", url, "--user", "admin", "--table", "users", "--column", "ssn",
        "--context-template", "id={id}", "--from-key", spec("old"), "--to-key", spec("new"), "--progress", "none"};

    Result ok = run(concat(base, "--password-secret", "file:" + good));
    assertThat(ok.code()).as(ok.err()).isZero();
    assertThat(ok.out()).contains("scanned          0");

    Result denied = run(concat(base, "--password-secret", "file:" + bad));
    assertThat(denied.code()).isEqualTo(Main.EXIT_FAILURE);
    assertThat(denied.err()).doesNotContain("nope").doesNotContain("s3cret");
  }

  @Test
  void reencrypt_badOptions_exit2() throws Exception {
    createTable(false, 1, "old");
    Result badEncoding = run("reencrypt", "--jdbc-url", url, "--table", "users", "--column", "ssn",
        "--context-template", "id={id}", "--from-key", spec("old"), "--to-key", spec("new"), "--encoding", "hex");
    assertThat(badEncoding.code()).isEqualTo(Main.EXIT_USAGE);
    Result badTable = run("reencrypt", "--jdbc-url", url, "--table", "users;drop", "--column", "ssn",
        "--context-template", "id={id}", "--from-key", spec("old"), "--to-key", spec("new"));
    assertThat(badTable.code()).isEqualTo(Main.EXIT_USAGE);
    assertThat(badTable.err()).contains("plain SQL identifier");
    Result noTemplate = run("reencrypt", "--jdbc-url", url, "--table", "users", "--column", "ssn",
        "--from-key", spec("old"), "--to-key", spec("new"));
    assertThat(noTemplate.code()).isEqualTo(Main.EXIT_USAGE);
  }

  @Test
  void rewrapDataKeys_afterMasterKeyChange_valuesReadableWithNewKeyOnly() throws Exception {
    org.h2.jdbcx.JdbcDataSource ds = new org.h2.jdbcx.JdbcDataSource();
    ds.setURL(url);
    EncryptionContext ctx = EncryptionContext.of("table", "users", "column", "ssn", "id", "7");
    byte[] value;
    try (FieldEncryptor fields = FieldEncryptor.builder().masterKey(key("old"))
        .dataKeyStore(JdbcDataKeyStore.create(ds)).build()) {
      value = fields.encrypt("ssn-7".getBytes(StandardCharsets.UTF_8), ctx);
      fields.blindIndex("users.ssn", 16).compute("ssn-7".getBytes(StandardCharsets.UTF_8));
    }
    String[] base = {"rewrap-data-keys", "--jdbc-url", url, "--to-key", spec("new")};

    Result r = run(concat(base, "--from-key", spec("old"), "--json"));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(new ObjectMapper().readTree(r.out()).get("rewrapped").asLong()).isEqualTo(2); // data key + index root
    try (FieldEncryptor newOnly = FieldEncryptor.builder().masterKey(key("new"))
        .dataKeyStore(JdbcDataKeyStore.create(ds)).build()) {
      assertThat(newOnly.decrypt(value, ctx)).isEqualTo("ssn-7".getBytes(StandardCharsets.UTF_8));
    }
    try (FieldEncryptor oldOnly = FieldEncryptor.builder().masterKey(key("old"))
        .dataKeyStore(JdbcDataKeyStore.create(ds)).build()) {
      assertThatThrownBy(() -> oldOnly.decrypt(value, ctx)).isInstanceOf(KeyUnavailableException.class);
    }

    // Again, without --from-key: rows already under --to-key move to its current version.
    Result again = run(base);
    assertThat(again.code()).as(again.err()).isZero();
    assertThat(again.out()).startsWith("rewrapped 2 data keys of envelope_data_keys under ");

    // Rows under a key not given: typed refusal (exit 3), nothing changed.
    assertThat(run("keys", "create", "--keyfile", keyfile.toString(), "--name", "third").code()).isZero();
    Result foreign = run("rewrap-data-keys", "--jdbc-url", url, "--to-key", spec("third"));
    assertThat(foreign.code()).isEqualTo(Main.EXIT_KEY);
    assertThat(foreign.err()).contains("may not use");
    try (FieldEncryptor newOnly = FieldEncryptor.builder().masterKey(key("new"))
        .dataKeyStore(JdbcDataKeyStore.create(ds)).build()) {
      assertThat(newOnly.decrypt(value, ctx)).isEqualTo("ssn-7".getBytes(StandardCharsets.UTF_8));
    }
  }

  @Test
  void rewrapDataKeys_missingTable_exit2AndCreatesNothing() throws Exception {
    Result r = run("rewrap-data-keys", "--jdbc-url", url, "--data-key-table", "field_keys", "--to-key", spec("new"));
    assertThat(r.code()).isEqualTo(Main.EXIT_USAGE);
    assertThat(r.err()).contains("no data-key table field_keys");
    try (Connection c = DriverManager.getConnection(url);
        ResultSet rs = c.getMetaData().getTables(null, null, "FIELD_KEYS", null)) {
      assertThat(rs.next()).isFalse();
    }
    Result bad = run("rewrap-data-keys", "--jdbc-url", url, "--data-key-table", "keys;drop", "--to-key", spec("new"));
    assertThat(bad.code()).isEqualTo(Main.EXIT_USAGE);
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
