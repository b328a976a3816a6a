package dev.envelope.core;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The example of docs/fields.md §9 and the README: a {@code users} table whose {@code ssn} and
 * {@code email} columns are encrypted, with a blind index on {@code email} used in a WHERE
 * clause. Runs on H2 and, when reachable, PostgreSQL.
 */
class UsersTableExampleTest {
  DataSource dataSource;
  String users;
  String keys;
  FieldEncryptor fields;

  @AfterEach
  void cleanUp() {
    if (fields != null) {
      fields.close();
    }
    if (dataSource != null) {
      TestDatabases.drop(dataSource, users, keys);
    }
  }

  // tag::example[]
  record User(long id, String email, String ssn) {}

  static EncryptionContext ctx(long id, String column) {
    // Binds each value to its row and column: copied anywhere else, it no longer decrypts.
    return EncryptionContext.of("table", "users", "column", column, "id", Long.toString(id));
  }

  static byte[] normalizedEmail(String email) {
    return email.strip().toLowerCase(Locale.ROOT).getBytes(UTF_8);
  }

  void insert(User u) throws SQLException {
    BlindIndex byEmail = fields.blindIndex("users.email", 16);
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement(
            "INSERT INTO " + users + " (id, email, email_idx, ssn) VALUES (?, ?, ?, ?)")) {
      ps.setLong(1, u.id());
      ps.setString(2, fields.encryptToString(u.email().getBytes(UTF_8), ctx(u.id(), "email")));
      ps.setString(3, byEmail.computeToString(normalizedEmail(u.email())));
      ps.setString(4, fields.encryptToString(u.ssn().getBytes(UTF_8), ctx(u.id(), "ssn")));
      ps.executeUpdate();
    }
  }

  List<User> findByEmail(String email) throws SQLException {
    BlindIndex byEmail = fields.blindIndex("users.email", 16);
    List<User> found = new ArrayList<>();
    try (Connection c = dataSource.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT id, email, ssn FROM " + users + " WHERE email_idx = ?")) {
      ps.setString(1, byEmail.computeToString(normalizedEmail(email)));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          long id = rs.getLong("id");
          String plainEmail = new String(fields.decryptFromString(rs.getString("email"), ctx(id, "email")), UTF_8);
          // A 16-byte index almost never collides, but a shorter one would: compare after decrypting.
          if (plainEmail.strip().equalsIgnoreCase(email.strip())) {
            found.add(new User(id, plainEmail, new String(fields.decryptFromString(rs.getString("ssn"), ctx(id, "ssn")), UTF_8)));
          }
        }
      }
    }
    return found;
  }
  // end::example[]

  @ParameterizedTest
  @EnumSource(TestDatabases.class)
  void usersTable_encryptedSsnAndEmailBlindIndex_queryByEmailAndRefuseCopiedValues(TestDatabases db) throws SQLException {
    dataSource = db.dataSource();
    users = TestDatabases.uniqueTable("users");
    keys = TestDatabases.uniqueTable("user_keys");
    // tag::setup[]
    fields = FieldEncryptor.builder()
        .masterKey(new TestMasterKey("users")) // in an application: LocalKeyStore / AWS / GCP / Azure key
        .dataKeyStore(JdbcDataKeyStore.create(dataSource, keys))
        .build();
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + users + " (id BIGINT PRIMARY KEY, email VARCHAR(400) NOT NULL, "
          + "email_idx CHAR(22) NOT NULL, ssn VARCHAR(100) NOT NULL)");
      s.execute("CREATE INDEX " + users + "_email_idx ON " + users + " (email_idx)");
    }
    // end::setup[]
    insert(new User(1, "ann@example.com", "123-45-6789"));
    insert(new User(2, "Bob@Example.com", "987-65-4321"));
    insert(new User(3, "carol@example.com", "555-12-3456"));

    assertThat(findByEmail("bob@example.com")).containsExactly(new User(2, "Bob@Example.com", "987-65-4321"));
    assertThat(findByEmail("  ANN@example.com ")).extracting(User::id).containsExactly(1L);
    assertThat(findByEmail("dave@example.com")).isEmpty();

    // What the database holds: no plaintext; an 11-character SSN is 11 + 37 = 48 bytes, 64 characters.
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT email, email_idx, ssn FROM " + users + " WHERE id = 2")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getString("ssn")).doesNotContain("987").hasSize(64);
      assertThat(rs.getString("email")).doesNotContainIgnoringCase("bob");
      assertThat(rs.getString("email_idx")).hasSize(22);
    }

    // Copy Ann's ssn into Bob's row: it does not decrypt there.
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.executeUpdate("UPDATE " + users + " SET ssn = (SELECT ssn FROM " + users + " WHERE id = 1) WHERE id = 2");
    }
    assertThatThrownBy(() -> findByEmail("bob@example.com")).isExactlyInstanceOf(InvalidCiphertextException.class);
    assertThat(findByEmail("ann@example.com")).extracting(User::ssn).containsExactly("123-45-6789");
  }
}
