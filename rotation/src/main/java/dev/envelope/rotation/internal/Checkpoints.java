package dev.envelope.rotation.internal;

import dev.envelope.rotation.FailureReason;
import dev.envelope.rotation.JobState;
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
        JobState state;
        try {
          state = JobState.valueOf(rs.getString(3));
        } catch (IllegalArgumentException e) {
          throw new IllegalStateException("checkpoint of job " + jobId + " has an unknown state");
        }
        return Optional.of(new Checkpoint(jobId, rs.getString(1), rs.getString(2), state, rs.getString(4),
            rs.getLong(5), rs.getLong(6), rs.getLong(7), rs.getLong(8), rs.getLong(9), rs.getLong(10), rs.getLong(11)));
      }
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
          FailureReason reason;
          try {
            reason = FailureReason.valueOf(rs.getString(2));
          } catch (IllegalArgumentException e) {
            throw new IllegalStateException("failure record of job " + jobId + " has an unknown reason");
          }
          out.add(new RowFailure(rs.getString(1), reason));
        }
      }
    }
    return out;
  }
}
