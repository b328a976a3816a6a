package dev.envelope.rotation;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.sql.DataSource;

/**
 * A table {@code (id BIGINT PRIMARY KEY, v <binary|text>)} whose values are message-format
 * ciphertexts under {@link #oldKey}, bound to {@code table=users,id=<id>}.
 */
final class Fixture implements AutoCloseable {
  final Db db;
  final DataSource ds;
  final String table;
  final String checkpoints;
  final boolean text;
  final TestKey oldKey;
  final TestKey newKey;
  final Envelope oldEnv;
  final Envelope newEnv;

  private Fixture(Db db, DataSource ds, boolean text, TestKey oldKey, TestKey newKey) {
    this.db = db;
    this.ds = ds;
    this.text = text;
    this.table = Db.uniqueName("users");
    this.checkpoints = Db.uniqueName("ckpt");
    this.oldKey = oldKey;
    this.newKey = newKey;
    this.oldEnv = Envelope.builder().masterKeys(oldKey).build();
    this.newEnv = Envelope.builder().masterKeys(newKey).build();
  }

  static Fixture create(Db db, boolean text, int rows) throws SQLException {
    return create(db, db.dataSource(), text, rows, TestKey.create("old"), TestKey.create("new"));
  }

  static Fixture create(Db db, DataSource ds, boolean text, int rows, TestKey oldKey, TestKey newKey)
      throws SQLException {
    Fixture f = new Fixture(db, ds, text, oldKey, newKey);
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE " + f.table + " (id BIGINT PRIMARY KEY, v " + (text ? db.textType() : db.binaryType())
          + ", tenant VARCHAR(32))");
    }
    f.insert(1, rows);
    return f;
  }

  /** Inserts rows {@code from..from+count-1} encrypted under the old key. */
  void insert(long from, int count) throws SQLException {
    try (Connection c = ds.getConnection()) {
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (id, v, tenant) VALUES (?, ?, ?)")) {
        for (long id = from; id < from + count; id++) {
          ps.setLong(1, id);
          bind(ps, 2, oldEnv.encrypt(plaintext(id, 0), ctx(id)));
          ps.setString(3, "t" + (id % 3));
          ps.addBatch();
          if ((id - from) % 1000 == 999) {
            ps.executeBatch();
          }
        }
        ps.executeBatch();
      }
      c.commit();
    }
  }

  static byte[] plaintext(long id, long seq) {
    return ("ssn-" + id + "-" + seq).getBytes(StandardCharsets.UTF_8);
  }

  static EncryptionContext ctx(long id) {
    return EncryptionContext.of("table", "users", "id", Long.toString(id));
  }

  static RowContext rowContext() {
    return row -> EncryptionContext.of("table", "users", "id", row.idString());
  }

  ReencryptJob.Builder reencrypt() {
    return ReencryptJob.builder().dataSource(ds).table(table).idColumn("id").column("v").context(rowContext())
        .from(oldEnv).to(newEnv).checkpointTable(checkpoints).batchSize(100);
  }

  void bind(PreparedStatement ps, int i, byte[] raw) throws SQLException {
    if (raw == null) {
      ps.setNull(i, text ? java.sql.Types.VARCHAR : java.sql.Types.VARBINARY);
    } else if (text) {
      ps.setString(i, Base64.getEncoder().encodeToString(raw));
    } else {
      ps.setBytes(i, raw);
    }
  }

  /** Every row's raw stored bytes (base64-decoded for text), by id. */
  Map<Long, byte[]> snapshot() throws SQLException {
    Map<Long, byte[]> m = new LinkedHashMap<>();
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, v FROM " + table + " ORDER BY id")) {
      while (rs.next()) {
        m.put(rs.getLong(1), raw(rs, 2));
      }
    }
    return m;
  }

  byte[] read(long id) throws SQLException {
    try (Connection c = ds.getConnection()) {
      return read(c, id);
    }
  }

  byte[] read(Connection c, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT v FROM " + table + " WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? raw(rs, 1) : null;
      }
    }
  }

  private byte[] raw(ResultSet rs, int i) throws SQLException {
    if (text) {
      String s = rs.getString(i);
      return s == null ? null : Base64.getDecoder().decode(s);
    }
    return rs.getBytes(i);
  }

  /** The application's write: a blind update. */
  void write(Connection c, long id, byte[] raw) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET v = ? WHERE id = ?")) {
      bind(ps, 1, raw);
      ps.setLong(2, id);
      ps.executeUpdate();
    }
  }

  void write(long id, byte[] raw) throws SQLException {
    try (Connection c = ds.getConnection()) {
      write(c, id, raw);
    }
  }

  /** The checkpoint row as a map (column name, lower case, to value); null if there is none yet. */
  Map<String, Object> checkpoint(String jobId) throws SQLException {
    if (!tableExists(checkpoints)) {
      return null; // an H2 file database killed before its first flush keeps no table
    }
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT state, last_id, scanned, changed, skipped_current, "
            + "skipped_empty, conflicts, failed FROM " + checkpoints + " WHERE job_id = ?")) {
      ps.setString(1, jobId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("state", rs.getString(1));
        m.put("last_id", rs.getString(2));
        m.put("scanned", rs.getLong(3));
        m.put("changed", rs.getLong(4));
        m.put("skipped_current", rs.getLong(5));
        m.put("skipped_empty", rs.getLong(6));
        m.put("conflicts", rs.getLong(7));
        m.put("failed", rs.getLong(8));
        return m;
      }
    }
  }

  boolean tableExists(String name) throws SQLException {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.executeQuery("SELECT COUNT(*) FROM " + name).close();
      return true;
    } catch (SQLException e) {
      return false;
    }
  }

  @Override
  public void close() {
    oldEnv.close();
    newEnv.close();
    if (db == Db.POSTGRES) {
      Db.dropQuietly(ds, table, checkpoints, checkpoints + "_failures");
    }
  }
}
