package dev.envelope.rotation.internal;

import dev.envelope.rotation.FailureReason;
import dev.envelope.rotation.JobState;
import dev.envelope.rotation.RotationCheckpointException;
import dev.envelope.rotation.RowFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The checkpoint table and its failures table. Every write here happens in the caller's
 * transaction, so a batch's row updates and its checkpoint commit or vanish together.
 */
final class Checkpoints {
  private final String jobs;
  private final String failures;
  private final Clock clock;

  Checkpoints(String table, Clock clock) {
    this.jobs = table;
    this.failures = table + "_failures";
    this.clock = clock;
  }

  void ensureTables(Connection c) throws SQLException {
    // Portable DDL (H2, PostgreSQL): counters as BIGINT, times as epoch milliseconds.
    String jobsDdl = "CREATE TABLE IF NOT EXISTS " + jobs + " ("
        + "job_id VARCHAR(128) NOT NULL PRIMARY KEY, kind VARCHAR(16) NOT NULL, target VARCHAR(512) NOT NULL, "
        + "state VARCHAR(16) NOT NULL, last_id VARCHAR(1024), batches BIGINT NOT NULL, scanned BIGINT NOT NULL, "
        + "changed BIGINT NOT NULL, skipped_current BIGINT NOT NULL, skipped_empty BIGINT NOT NULL, "
        + "conflicts BIGINT NOT NULL, failed BIGINT NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL)";
    String failuresDdl = "CREATE TABLE IF NOT EXISTS " + failures + " ("
        + "job_id VARCHAR(128) NOT NULL, seq BIGINT NOT NULL, row_id VARCHAR(1024) NOT NULL, "
        + "reason VARCHAR(32) NOT NULL, PRIMARY KEY (job_id, seq))";
    for (String ddl : List.of(jobsDdl, failuresDdl)) {
      try (Statement s = c.createStatement()) {
        s.execute(ddl);
        c.commit();
      } catch (SQLException e) {
        // Two jobs creating the table at once: PostgreSQL can fail the loser on its catalog's
        // unique index even with IF NOT EXISTS. The table exists either way; the next load proves it.
        c.rollback();
        if (!"23505".equals(e.getSQLState()) && !"42P07".equals(e.getSQLState())) {
          throw e;
        }
      }
    }
  }

  Optional<Checkpoint> load(Connection c, String jobId) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT kind, target, state, last_id, batches, scanned, changed, "
        + "skipped_current, skipped_empty, conflicts, failed FROM " + jobs + " WHERE job_id = ?")) {
      ps.setString(1, jobId);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return Optional.empty();
        }
        return Optional.of(parse(jobId, new Stored(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
            nullableLong(rs, 5), nullableLong(rs, 6), nullableLong(rs, 7), nullableLong(rs, 8), nullableLong(rs, 9),
            nullableLong(rs, 10), nullableLong(rs, 11))));
      }
    }
  }

  private static Long nullableLong(ResultSet rs, int i) throws SQLException {
    long v = rs.getLong(i);
    return rs.wasNull() ? null : v;
  }

  /** The columns of one checkpoint row as JDBC returned them; any may be NULL in a table someone edited. */
  record Stored(String kind, String target, String state, String lastId, Long batches, Long scanned, Long changed,
      Long skippedCurrent, Long skippedEmpty, Long conflicts, Long failed) {}

  /**
   * Accepts exactly what {@link #insert} and {@link #advance} can have written: no NULL but
   * {@code last_id}, which is NULL until the first batch and only then; a known state; counters
   * that are not negative and add up as the report promises.
   *
   * @throws RotationCheckpointException for anything else
   */
  static Checkpoint parse(String jobId, Stored s) {
    if (s.kind() == null || s.target() == null || s.state() == null) {
      throw new RotationCheckpointException(jobId, "kind, target or state is NULL");
    }
    JobState state;
    try {
      state = JobState.valueOf(s.state());
    } catch (IllegalArgumentException e) {
      throw new RotationCheckpointException(jobId, "unknown state");
    }
    Long[] counters = {s.batches(), s.scanned(), s.changed(), s.skippedCurrent(), s.skippedEmpty(), s.conflicts(),
        s.failed()};
    for (Long n : counters) {
      if (n == null || n < 0) {
        throw new RotationCheckpointException(jobId, "a counter is NULL or negative");
      }
    }
    long accounted;
    try {
      accounted = Math.addExact(Math.addExact(s.changed(), s.skippedCurrent()), Math.addExact(s.skippedEmpty(), s.failed()));
    } catch (ArithmeticException e) {
      accounted = -1;
    }
    if (accounted != s.scanned() || s.conflicts() > s.scanned()) {
      throw new RotationCheckpointException(jobId, "the counters do not add up");
    }
    if ((s.lastId() == null) != (s.batches() == 0)) {
      throw new RotationCheckpointException(jobId, "last_id does not match the batch count");
    }
    return new Checkpoint(jobId, s.kind(), s.target(), state, s.lastId(), s.batches(), s.scanned(), s.changed(),
        s.skippedCurrent(), s.skippedEmpty(), s.conflicts(), s.failed());
  }

  /**
   * The key a page starts after: {@code last_id} read back as the id column's type. The engine
   * wrote it with the key's {@code toString()}, so anything that does not read back to the same
   * text was not written by it.
   *
   * @throws RotationCheckpointException if it does not
   */
  static Object lastKey(Checkpoint cp, IdKind kind) {
    if (cp.lastId() == null) {
      return null;
    }
    Object key;
    try {
      key = kind.parse(cp.lastId());
    } catch (IllegalArgumentException e) {
      key = null;
    }
    if (key == null || !key.toString().equals(cp.lastId())) {
      throw new RotationCheckpointException(cp.jobId(), "last_id does not fit the id column");
    }
    return key;
  }

  /** One failure record; {@link RotationCheckpointException} for a NULL or an unknown reason. */
  static RowFailure parseFailure(String jobId, String rowId, String reason) {
    if (rowId == null || reason == null) {
      throw new RotationCheckpointException(jobId, "a failure record holds NULL");
    }
    try {
      return new RowFailure(rowId, FailureReason.valueOf(reason));
    } catch (IllegalArgumentException e) {
      throw new RotationCheckpointException(jobId, "a failure record has an unknown reason");
    }
  }

  void insert(Connection c, Checkpoint cp) throws SQLException {
    long now = clock.millis();
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + jobs + " (job_id, kind, target, state, last_id, "
        + "batches, scanned, changed, skipped_current, skipped_empty, conflicts, failed, created_at, updated_at) "
        + "VALUES (?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0, 0, ?, ?)")) {
      ps.setString(1, cp.jobId());
      ps.setString(2, cp.kind());
      ps.setString(3, cp.target());
      ps.setString(4, cp.state().name());
      ps.setString(5, cp.lastId());
      ps.setLong(6, now);
      ps.setLong(7, now);
      ps.executeUpdate();
    }
  }

  /**
   * Moves the checkpoint from {@code old} to {@code next}, only if nobody else moved it since
   * {@code old} was read: two processes running one job cannot both commit a batch.
   */
  boolean advance(Connection c, Checkpoint old, Checkpoint next) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + jobs + " SET state = ?, last_id = ?, batches = ?, "
        + "scanned = ?, changed = ?, skipped_current = ?, skipped_empty = ?, conflicts = ?, failed = ?, updated_at = ? "
        + "WHERE job_id = ? AND batches = ?")) {
      ps.setString(1, next.state().name());
      ps.setString(2, next.lastId());
      ps.setLong(3, next.batches());
      ps.setLong(4, next.scanned());
      ps.setLong(5, next.changed());
      ps.setLong(6, next.skippedCurrent());
      ps.setLong(7, next.skippedEmpty());
      ps.setLong(8, next.conflicts());
      ps.setLong(9, next.failed());
      ps.setLong(10, clock.millis());
      ps.setString(11, old.jobId());
      ps.setLong(12, old.batches());
      return ps.executeUpdate() == 1;
    }
  }

  void insertFailures(Connection c, String jobId, long firstSeq, List<RowFailure> list) throws SQLException {
    if (list.isEmpty()) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + failures + " (job_id, seq, row_id, reason) "
        + "VALUES (?, ?, ?, ?)")) {
      long seq = firstSeq;
      for (RowFailure f : list) {
        ps.setString(1, jobId);
        ps.setLong(2, seq++);
        ps.setString(3, f.rowId());
        ps.setString(4, f.reason().name());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  List<RowFailure> failures(Connection c, String jobId, int max) throws SQLException {
    List<RowFailure> out = new ArrayList<>();
    if (max == 0) {
      return out;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT row_id, reason FROM " + failures
        + " WHERE job_id = ? ORDER BY seq")) {
      ps.setString(1, jobId);
      ps.setMaxRows(max);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next() && out.size() < max) {
          out.add(parseFailure(jobId, rs.getString(1), rs.getString(2)));
        }
      }
    }
    return out;
  }
}
