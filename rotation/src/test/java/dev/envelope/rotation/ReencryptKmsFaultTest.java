package dev.envelope.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.KeyRef;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.KmsException;
import dev.envelope.core.MasterKey;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The key service fails in the middle of a batch, on the side that decrypts the old values or on
 * the side that encrypts the new ones: the batch in flight rolls back whole, the checkpoint stays
 * at the last committed batch (state FAILED), and a run after the service recovers resumes there
 * and ends with every row re-encrypted exactly once. Interrupts and dying connections are
 * {@link KillResumeTest}'s; this is the key-service angle.
 */
class ReencryptKmsFaultTest {
  private static final int ROWS = 300;
  private static final int BATCH = 50;
  /** In the third batch (rows 101..150): rows 101..124 were re-encrypted in memory when the service went away. */
  private static final long FAILING_ROW = 125;
  private static final long COMMITTED = 100;

  enum Side { FROM, TO }

  enum Failure {
    KMS_UNREACHABLE(key -> new KmsException("test KMS " + key + " is unreachable", true)),
    ACCESS_DENIED(key -> new AccessDeniedException("test KMS refuses " + key));

    final Function<String, RuntimeException> make;

    Failure(Function<String, RuntimeException> make) {
      this.make = make;
    }
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        Arguments.of(Db.H2, Side.FROM, Failure.KMS_UNREACHABLE),
        Arguments.of(Db.H2, Side.TO, Failure.KMS_UNREACHABLE),
        Arguments.of(Db.H2, Side.FROM, Failure.ACCESS_DENIED),
        Arguments.of(Db.POSTGRES, Side.FROM, Failure.KMS_UNREACHABLE),
        Arguments.of(Db.POSTGRES, Side.TO, Failure.KMS_UNREACHABLE));
  }

  @ParameterizedTest(name = "{0} {1} {2}")
  @MethodSource("cases")
  void run_kmsFailsMidBatch_checkpointAtLastCommittedBatch_rerunFinishesEachRowOnce(Db db, Side side, Failure failure)
      throws Exception {
    try (Fixture f = Fixture.create(db, false, ROWS)) {
      FlakyKey from = new FlakyKey(f.oldKey);
      FlakyKey to = new FlakyKey(f.newKey);
      FlakyKey failing = side == Side.FROM ? from : to;
      failing.goDownAt(FAILING_ROW, failure.make);
      Map<Long, byte[]> original = f.snapshot();

      try (Envelope fromEnv = Envelope.builder().masterKeys(from).build();
          Envelope toEnv = Envelope.builder().masterKeys(to).build()) {
        assertThatThrownBy(() -> f.reencrypt().from(fromEnv).to(toEnv).jobId("kms").batchSize(BATCH).build().run())
            .isInstanceOf(failure == Failure.KMS_UNREACHABLE ? KmsException.class : AccessDeniedException.class);

        assertThat(f.checkpoint("kms")).containsEntry("state", "FAILED").containsEntry("last_id", Long.toString(COMMITTED))
            .containsEntry("scanned", COMMITTED).containsEntry("changed", COMMITTED).containsEntry("failed", 0L);
        Map<Long, byte[]> afterFailure = f.snapshot();
        for (long id = 1; id <= ROWS; id++) {
          if (id <= COMMITTED) {
            assertThat(f.newEnv.decrypt(afterFailure.get(id), Fixture.ctx(id))).as("row %d", id)
                .isEqualTo(Fixture.plaintext(id, 0));
          } else {
            // Rows 101..124 were re-encrypted in memory before the failure: none of it reached the table.
            assertThat(afterFailure.get(id)).as("row %d", id).isEqualTo(original.get(id));
          }
        }
        assertThat(to.wrapsOf(COMMITTED + 1)).as("row 101 was re-encrypted in memory, then rolled back").isEqualTo(1);

        failing.recover();
        RotationReport done = f.reencrypt().from(fromEnv).to(toEnv).jobId("kms").batchSize(BATCH).build().run();

        assertThat(done.state()).isEqualTo(JobState.COMPLETED);
        assertThat(done.scanned()).isEqualTo(ROWS);
        assertThat(done.changed()).isEqualTo(ROWS);
        assertThat(done.failed() + done.conflictsRedone() + done.skippedCurrent()).isZero();
        Map<Long, byte[]> end = f.snapshot();
        for (long id = 1; id <= ROWS; id++) {
          assertThat(f.newEnv.decrypt(end.get(id), Fixture.ctx(id))).as("row %d", id).isEqualTo(Fixture.plaintext(id, 0));
          // One re-encryption per row reached the table; only the rolled-back rows of the failed
          // batch were encrypted twice, and the rerun never went back to the committed batches.
          boolean redone = id > COMMITTED && id < FAILING_ROW;
          assertThat(to.wrapsOf(id)).as("successful target-key wraps of row %d", id).isEqualTo(redone ? 2 : 1);
          // The target failing at row 125 means row 125 was decrypted once before the failure.
          boolean decryptedTwice = redone || side == Side.TO && id == FAILING_ROW;
          assertThat(from.unwrapsOf(id)).as("successful unwraps of row %d", id).isEqualTo(decryptedTwice ? 2 : 1);
        }
      }
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_keyDisabledMidRun_rowsAreKeyUnavailableFailures_anotherJobMigratesThemLater(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 120)) {
      FlakyKey from = new FlakyKey(f.oldKey);
      from.goDownAt(61, key -> new KeyUnavailableException("test key " + key + " is disabled"));
      try (Envelope fromEnv = Envelope.builder().masterKeys(from).build()) {
        RotationReport first = f.reencrypt().from(fromEnv).jobId("disabled").batchSize(BATCH).build().run();

        // A disabled key is about rows, not the service: the job goes on and lists them.
        assertThat(first.state()).isEqualTo(JobState.COMPLETED);
        assertThat(first.changed()).isEqualTo(60);
        assertThat(first.failed()).isEqualTo(60);
        assertThat(first.failures()).allMatch(r -> r.reason() == FailureReason.KEY_UNAVAILABLE).hasSize(60);
        assertThat(f.oldEnv.decrypt(f.read(61), Fixture.ctx(61))).isEqualTo(Fixture.plaintext(61, 0));

        from.recover();
        RotationReport sameJob = f.reencrypt().from(fromEnv).jobId("disabled").batchSize(BATCH).build().run();
        assertThat(sameJob.failed()).as("a completed job's report is final").isEqualTo(60);
        RotationReport newJob = f.reencrypt().from(fromEnv).jobId("disabled-again").batchSize(BATCH).build().run();

        assertThat(newJob.succeeded()).isTrue();
        assertThat(newJob.skippedCurrent()).isEqualTo(60);
        assertThat(newJob.changed()).isEqualTo(60);
      }
    }
  }

  /**
   * A master key in front of a {@link TestKey} whose service goes away at the row with a given id
   * and stays away until {@link #recover()}. Counts successful calls per row id.
   */
  static final class FlakyKey implements MasterKey {
    private final TestKey delegate;
    private final Map<Long, Integer> wraps = new ConcurrentHashMap<>();
    private final Map<Long, Integer> unwraps = new ConcurrentHashMap<>();
    private volatile long downAt = -1;
    private volatile Function<String, RuntimeException> failure;
    private volatile boolean down;

    FlakyKey(TestKey delegate) {
      this.delegate = delegate;
    }

    void goDownAt(long rowId, Function<String, RuntimeException> failure) {
      this.failure = failure;
      this.downAt = rowId;
    }

    void recover() {
      down = false;
      downAt = -1;
    }

    int wrapsOf(long id) {
      return wraps.getOrDefault(id, 0);
    }

    int unwrapsOf(long id) {
      return unwraps.getOrDefault(id, 0);
    }

    private void check(EncryptionContext context) {
      String id = context.get("id");
      if (id != null && Long.parseLong(id) == downAt) {
        down = true;
      }
      if (down) {
        throw failure.apply(delegate.ref().keyId());
      }
    }

    private static void count(Map<Long, Integer> counts, EncryptionContext context) {
      String id = context.get("id");
      if (id != null) {
        counts.merge(Long.parseLong(id), 1, Integer::sum);
      }
    }

    @Override
    public KeyRef ref() {
      return delegate.ref();
    }

    @Override
    public WrappedKey wrap(SecretBytes dataKey, EncryptionContext context) {
      check(context);
      WrappedKey w = delegate.wrap(dataKey, context);
      count(wraps, context);
      return w;
    }

    @Override
    public SecretBytes unwrap(WrappedKey wrapped, EncryptionContext context) {
      check(context);
      SecretBytes k = delegate.unwrap(wrapped, context);
      count(unwraps, context);
      return k;
    }

    @Override
    public String toString() {
      return "FlakyKey[" + delegate.ref() + "]";
    }
  }
}
