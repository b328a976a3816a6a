package dev.envelope.core;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * A {@link DataKeyStore} in a database table (docs/fields.md §3), over plain JDBC: tested on H2
 * and PostgreSQL. The table is created if missing; a migration tool may create it instead with the
 * DDL of §3.1. Every update is one conditional {@code UPDATE}, so several processes can share the
 * table safely.
 *
 * <p>Each call borrows one connection from the {@link DataSource} and returns it; with auto-commit
 * off, the store commits its own statement. The store never sees secret material.
 */
public final class JdbcDataKeyStore implements DataKeyStore {
  /** Table name used by {@link #create(DataSource)}. */
  public static final String DEFAULT_TABLE = "envelope_data_keys";

  private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
  private static final String UNIQUE_VIOLATION = "23505";
  private static final String COLUMNS =
      "id, master_provider, master_key_id, master_key_version, wrapped_key, created_at, state";

  private final DataSource dataSource;
  private final String table;
  private final String insertSql;
  private final String findSql;
  private final String listSql;
  private final String replaceSql;
  private final String retireSql;
  private final String destroySql;
  private final String existsSql;

  private JdbcDataKeyStore(DataSource dataSource, String table) {
    this.dataSource = dataSource;
    this.table = table;
    this.insertSql = "INSERT INTO " + table + " (" + COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?)";
    this.findSql = "SELECT " + COLUMNS + " FROM " + table + " WHERE id = ?";
    this.listSql = "SELECT " + COLUMNS + " FROM " + table + " WHERE id >= ? ORDER BY id LIMIT ?";
    this.replaceSql = "UPDATE " + table
        + " SET master_provider = ?, master_key_id = ?, master_key_version = ?, wrapped_key = ?"
        + " WHERE id = ? AND state <> 'DESTROYED' AND master_provider = ? AND master_key_id = ?"
        + " AND master_key_version = ? AND wrapped_key = ?";
    this.retireSql = "UPDATE " + table + " SET state = 'RETIRED' WHERE id = ? AND state = 'ACTIVE'";
    this.destroySql = "UPDATE " + table + " SET state = 'DESTROYED', wrapped_key = NULL WHERE id = ?";
    this.existsSql = "SELECT 1 FROM " + table + " WHERE id = ?";
  }

  /** A store in table {@value #DEFAULT_TABLE}, created if missing. */
  public static JdbcDataKeyStore create(DataSource dataSource) {
    return create(dataSource, DEFAULT_TABLE);
  }

  /**
   * A store in {@code tableName}, created if missing.
   *
   * @param tableName a plain SQL identifier, optionally schema-qualified ({@code keys.field_keys});
   *     never quoted, so it follows the database's case folding
   * @throws IllegalArgumentException if {@code tableName} is not a plain identifier
   * @throws EnvelopeException if the table cannot be created or lacks the expected columns
   */
  public static JdbcDataKeyStore create(DataSource dataSource, String tableName) {
    Objects.requireNonNull(dataSource, "dataSource");
    Objects.requireNonNull(tableName, "tableName");
    String[] parts = tableName.split("\\.", -1);
    if (parts.length > 2 || !Arrays.stream(parts).allMatch(p -> IDENTIFIER.matcher(p).matches())) {
      throw new IllegalArgumentException("table name must be an SQL identifier, optionally schema.table "
          + "(letters, digits, underscore; at most 63 characters each)");
    }
    JdbcDataKeyStore store = new JdbcDataKeyStore(dataSource, tableName);
    store.createTableIfMissing();
    return store;
  }

  public String tableName() {
    return table;
  }

  /** §3.1: the DDL this store runs, for the given JDBC product name (as DatabaseMetaData reports it). */
  public static String ddl(String tableName, String databaseProductName) {
    String bytes = databaseProductName.toLowerCase(Locale.ROOT).contains("postgres") ? "BYTEA" : "VARBINARY(8192)";
    return "CREATE TABLE IF NOT EXISTS " + tableName + " ("
        + "id BIGINT NOT NULL PRIMARY KEY, "
        + "master_provider VARCHAR(64) NOT NULL, "
        + "master_key_id VARCHAR(2048) NOT NULL, "
        + "master_key_version VARCHAR(2048) NOT NULL, "
        + "wrapped_key " + bytes + ", "
        + "created_at TIMESTAMP WITH TIME ZONE NOT NULL, "
        + "state VARCHAR(16) NOT NULL, "
        + "CHECK (state IN ('ACTIVE', 'RETIRED', 'DESTROYED')), "
        + "CHECK ((state = 'DESTROYED') = (wrapped_key IS NULL)))";
  }

  private void createTableIfMissing() {
    SQLException createFailure = run("create table", c -> {
      try (Statement s = c.createStatement()) {
        s.execute(ddl(table, c.getMetaData().getDatabaseProductName()));
        return null;
      } catch (SQLException e) {
        // Two processes creating the table at once: PostgreSQL lets one of them fail. Fine if the
        // table exists now, which the probe below checks.
        if (!c.getAutoCommit()) {
          c.rollback();
        }
        return e;
      }
    });
    try {
      run("check table columns", c -> {
        try (Statement s = c.createStatement()) {
          s.executeQuery("SELECT " + COLUMNS + " FROM " + table + " WHERE 1 = 0").close();
        }
        return null;
      });
    } catch (EnvelopeException e) {
      if (createFailure != null) {
        e.addSuppressed(createFailure);
      }
      throw e;
    }
  }

  @Override
  public boolean insert(DataKeyRecord row) {
    Objects.requireNonNull(row, "row");
    return run("insert", c -> {
      try (PreparedStatement ps = c.prepareStatement(insertSql)) {
        ps.setLong(1, row.id());
        ps.setString(2, row.masterKey().provider());
        ps.setString(3, row.masterKey().keyId());
        ps.setString(4, row.masterKeyVersion());
        ps.setBytes(5, row.wrappedKey());
        ps.setObject(6, OffsetDateTime.ofInstant(row.created(), ZoneOffset.UTC));
        ps.setString(7, row.state().name());
        ps.executeUpdate();
        return true;
      } catch (SQLException e) {
        if (UNIQUE_VIOLATION.equals(e.getSQLState())) {
          if (!c.getAutoCommit()) {
            c.rollback();
          }
          return false;
        }
        throw e;
      }
    });
  }

  @Override
  public Optional<DataKeyRecord> find(long id) {
    return run("find", c -> {
      try (PreparedStatement ps = c.prepareStatement(findSql)) {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next() ? Optional.of(read(rs)) : Optional.empty();
        }
      }
    });
  }

  @Override
  public List<DataKeyRecord> list(long fromId, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be at least 1");
    }
    return run("list", c -> {
      try (PreparedStatement ps = c.prepareStatement(listSql)) {
        ps.setLong(1, fromId);
        ps.setInt(2, limit);
        List<DataKeyRecord> out = new ArrayList<>();
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            out.add(read(rs));
          }
        }
        return out;
      }
    });
  }

  @Override
  public boolean replaceWrapped(long id, WrappedKey expected, WrappedKey replacement) {
    Objects.requireNonNull(expected, "expected");
    Objects.requireNonNull(replacement, "replacement");
    return run("replace wrapped key", c -> {
      try (PreparedStatement ps = c.prepareStatement(replaceSql)) {
        ps.setString(1, replacement.provider());
        ps.setString(2, replacement.keyId());
        ps.setString(3, replacement.version());
        ps.setBytes(4, replacement.unsafeCiphertext());
        ps.setLong(5, id);
        ps.setString(6, expected.provider());
        ps.setString(7, expected.keyId());
        ps.setString(8, expected.version());
        ps.setBytes(9, expected.unsafeCiphertext());
        return ps.executeUpdate() == 1;
      }
    });
  }

  @Override
  public boolean retire(long id) {
    return run("retire", c -> {
      try (PreparedStatement ps = c.prepareStatement(retireSql)) {
        ps.setLong(1, id);
        if (ps.executeUpdate() == 1) {
          return true;
        }
      }
      try (PreparedStatement ps = c.prepareStatement(existsSql)) {
        ps.setLong(1, id);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  @Override
  public boolean destroy(long id) {
    return run("destroy", c -> {
      try (PreparedStatement ps = c.prepareStatement(destroySql)) {
        ps.setLong(1, id);
        return ps.executeUpdate() == 1;
      }
    });
  }

  private DataKeyRecord read(ResultSet rs) throws SQLException {
    long id = rs.getLong(1);
    try {
      OffsetDateTime created = rs.getObject(6, OffsetDateTime.class);
      return new DataKeyRecord(id, new KeyRef(rs.getString(2), rs.getString(3)), rs.getString(4), rs.getBytes(5),
          created.toInstant(), DataKeyRecord.State.valueOf(rs.getString(7)));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new EnvelopeException("row " + DataKeyRecord.idToString(id) + " of data-key table " + table
          + " is malformed", e);
    }
  }

  @FunctionalInterface
  private interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  private <T> T run(String operation, Work<T> work) {
    try (Connection c = dataSource.getConnection()) {
      boolean autoCommit = c.getAutoCommit();
      try {
        T result = work.apply(c);
        if (!autoCommit) {
          c.commit();
        }
        return result;
      } catch (SQLException | RuntimeException e) {
        if (!autoCommit) {
          try {
            c.rollback();
          } catch (SQLException suppressed) {
            e.addSuppressed(suppressed);
          }
        }
        throw e;
      }
    } catch (SQLException e) {
      throw new EnvelopeException("data-key table " + table + ": " + operation + " failed (SQLState "
          + e.getSQLState() + ")", e);
    }
  }

  @Override
  public String toString() {
    return "JdbcDataKeyStore[" + table + "]";
  }
}
