package dev.envelope.rotation.internal;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.envelope.rotation.RotationCheckpointException;
import dev.envelope.rotation.RowFailure;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;

/**
 * Whatever a checkpoint row holds, the reader returns a checkpoint the engine could have written,
 * or throws {@link RotationCheckpointException}: never another exception, never an
 * OutOfMemoryError. Each input is one row as text, one column per line in table order (kind,
 * target, state, last_id, batches, scanned, changed, skipped_current, skipped_empty, conflicts,
 * failed); a missing line or {@code \N} is NULL, a counter line that is not a number stands for
 * the number its hash gives. The row goes through the reader twice: straight into the parser, and
 * stored in an H2 table of the checkpoint shape without NOT NULL constraints (as a hand-made or
 * hand-edited table could be) and read back with the reader's own query.
 *
 * <p>Regression mode (the default in {@code mvn verify}) replays the seeds in
 * {@code CheckpointFuzzTestInputs/}; fuzz for real with {@code JAZZER_FUZZ=1} (docs/security.md).
 */
class CheckpointFuzzTest {
  private static final String JOB = "fuzz-job";
  private static final String TABLE = "fuzz_ckpt";
  private static final String NULL = "\\N";
  private static final Connection DB = openDatabase();
  private static final Checkpoints CHECKPOINTS = new Checkpoints(TABLE, Clock.systemUTC());

  private static Connection openDatabase() {
    try {
      Connection c = DriverManager.getConnection("jdbc:h2:mem:checkpoint_fuzz;DB_CLOSE_DELAY=-1");
      try (Statement s = c.createStatement()) {
        s.execute("CREATE TABLE " + TABLE + " (job_id VARCHAR(128) PRIMARY KEY, kind VARCHAR(16), target VARCHAR(512), "
            + "state VARCHAR(16), last_id VARCHAR(1024), batches BIGINT, scanned BIGINT, changed BIGINT, "
            + "skipped_current BIGINT, skipped_empty BIGINT, conflicts BIGINT, failed BIGINT, created_at BIGINT, "
            + "updated_at BIGINT)");
      }
      return c;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  @FuzzTest(maxDuration = "10s")
  void read_anyStoredRow_isAWritableCheckpointOrTyped(byte[] input) throws SQLException {
    String[] lines = new String(input, StandardCharsets.UTF_8).split("\n", -1);
    String[] text = new String[4];
    Long[] counters = new Long[7];
    for (int i = 0; i < text.length; i++) {
      text[i] = column(lines, i);
    }
    for (int i = 0; i < counters.length; i++) {
      counters[i] = counter(column(lines, text.length + i));
    }
    Checkpoints.Stored stored = new Checkpoints.Stored(text[0], text[1], text[2], text[3], counters[0], counters[1],
        counters[2], counters[3], counters[4], counters[5], counters[6]);

    Checkpoint parsed = null;
    try {
      parsed = Checkpoints.parse(JOB, stored);
      checkWritable(parsed);
    } catch (RotationCheckpointException expected) {
      // typed
    }
    if (parsed != null) {
      for (IdKind kind : IdKind.values()) {
        try {
          Object key = Checkpoints.lastKey(parsed, kind);
          if (key == null ? parsed.lastId() != null : !key.toString().equals(parsed.lastId())) {
            throw new AssertionError("last key does not read back to last_id for " + kind);
          }
        } catch (RotationCheckpointException expected) {
          // typed
        }
      }
    }
    try {
      RowFailure f = Checkpoints.parseFailure(JOB, text[3], text[2]);
      if (!f.rowId().equals(text[3]) || !f.reason().name().equals(text[2])) {
        throw new AssertionError("failure record changed on the way");
      }
    } catch (RotationCheckpointException expected) {
      // typed
    }

    if (store(text, counters)) {
      try {
        Optional<Checkpoint> loaded = CHECKPOINTS.load(DB, JOB);
        if (parsed == null || !loaded.equals(Optional.of(parsed))) {
          throw new AssertionError("the database path read a row the parser refuses, or read it differently");
        }
      } catch (RotationCheckpointException expected) {
        if (parsed != null) {
          throw new AssertionError("the database path refused a row the parser accepts", expected);
        }
      }
    }
  }

  /** What {@code Checkpoint.fresh}, {@code plus} and {@code withState} can produce, and nothing else. */
  private static void checkWritable(Checkpoint cp) {
    long[] n = {cp.batches(), cp.scanned(), cp.changed(), cp.skippedCurrent(), cp.skippedEmpty(), cp.conflicts(),
        cp.failed()};
    boolean ok = cp.kind() != null && cp.target() != null && cp.state() != null
        && Arrays.stream(n).allMatch(v -> v >= 0)
        && cp.changed() + cp.skippedCurrent() + cp.skippedEmpty() + cp.failed() == cp.scanned()
        && cp.conflicts() <= cp.scanned()
        && (cp.lastId() == null) == (cp.batches() == 0);
    if (!ok) {
      throw new AssertionError("the reader accepted a checkpoint the engine cannot have written");
    }
  }

  private static String column(String[] lines, int i) {
    return i >= lines.length || NULL.equals(lines[i]) ? null : lines[i];
  }

  private static Long counter(String s) {
    if (s == null) {
      return null;
    }
    try {
      return Long.parseLong(s);
    } catch (NumberFormatException e) {
      return (long) s.hashCode() * 0x9E3779B97F4A7C15L;
    }
  }

  /** Stores the row as the table would hold it; false where the column types refuse it (too long, a NUL in text). */
  private static boolean store(String[] text, Long[] counters) throws SQLException {
    try (Statement s = DB.createStatement()) {
      s.execute("DELETE FROM " + TABLE);
    }
    try (PreparedStatement ps = DB.prepareStatement("INSERT INTO " + TABLE + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        + "?, ?, 0, 0)")) {
      ps.setString(1, JOB);
      for (int i = 0; i < text.length; i++) {
        ps.setString(2 + i, text[i]);
      }
      for (int i = 0; i < counters.length; i++) {
        if (counters[i] == null) {
          ps.setNull(6 + i, Types.BIGINT);
        } else {
          ps.setLong(6 + i, counters[i]);
        }
      }
      ps.executeUpdate();
      return true;
    } catch (SQLException e) {
      if ("22001".equals(e.getSQLState())) {
        return false; // value too long for the column: the table cannot hold this row
      }
      throw e;
    }
  }
}
