package dev.envelope.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.Statement;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A checkpoint row edited into something the engine never writes stops the run with
 * {@link RotationCheckpointException} before any row is read or written, and the checkpoint row
 * stays as it was. Every possible stored value is fuzzed in {@code CheckpointFuzzTest}; this shows
 * the database path reaches the same checks.
 */
class CheckpointCorruptionTest {
  static Stream<Arguments> corruptions() {
    return Stream.of(
        Arguments.of(Db.H2, "state = 'HALFWAY'"),
        Arguments.of(Db.H2, "last_id = 'forty'"),
        Arguments.of(Db.H2, "last_id = '+40'"),
        Arguments.of(Db.H2, "scanned = -1"),
        Arguments.of(Db.H2, "changed = changed + 1"),
        Arguments.of(Db.H2, "batches = 0"),
        Arguments.of(Db.POSTGRES, "state = 'HALFWAY'"),
        Arguments.of(Db.POSTGRES, "last_id = 'forty'"));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("corruptions")
  void run_checkpointEditedByHand_typedErrorAndNothingWritten(Db db, String edit) throws Exception {
    try (Fixture f = Fixture.create(db, false, 100)) {
      RotationReport paused = f.reencrypt().jobId("edited").batchSize(20).limit(40).build().run();
      assertThat(paused.state()).isEqualTo(JobState.PAUSED);
      exec(f, "UPDATE " + f.checkpoints + " SET " + edit + " WHERE job_id = 'edited'");
      Map<Long, byte[]> rows = f.snapshot();
      Map<String, Object> checkpoint = f.checkpoint("edited");
      int unwraps = f.oldKey.unwraps.get();

      assertThatThrownBy(() -> f.reencrypt().resume("edited").batchSize(20).build().run())
          .isExactlyInstanceOf(RotationCheckpointException.class)
          .hasMessageContaining("edited")
          .hasMessageNotContaining("HALFWAY").hasMessageNotContaining("forty");

      assertThat(f.snapshot()).containsExactlyEntriesOf(rows);
      assertThat(f.checkpoint("edited")).isEqualTo(checkpoint);
      assertThat(f.oldKey.unwraps.get()).isEqualTo(unwraps);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("dbs")
  void report_failureRecordWithUnknownReason_typedError(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 30)) {
      f.write(7, new byte[] {1, 2, 3});
      RotationReport done = f.reencrypt().jobId("reasons").build().run();
      assertThat(done.failures()).containsExactly(new RowFailure("7", FailureReason.INVALID_CIPHERTEXT));
      exec(f, "UPDATE " + f.checkpoints + "_failures SET reason = 'GREMLINS' WHERE job_id = 'reasons'");

      assertThatThrownBy(() -> f.reencrypt().resume("reasons").build().run())
          .isExactlyInstanceOf(RotationCheckpointException.class).hasMessageNotContaining("GREMLINS");
    }
  }

  static Stream<Db> dbs() {
    return Stream.of(Db.values());
  }

  private static void exec(Fixture f, String sql) throws Exception {
    try (Connection c = f.ds.getConnection(); Statement s = c.createStatement()) {
      assertThat(s.executeUpdate(sql)).isEqualTo(1);
    }
  }
}
