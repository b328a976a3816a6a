package dev.envelope.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.envelope.core.EncryptionContext;
import java.util.Arrays;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import javax.sql.DataSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * 10,000 rows; one table migrated in one run, a copy migrated by runs killed at 20 random points
 * (thread interrupts mid-batch, and connections dying at random statements, before or after a
 * commit reached the database), each followed by a resume. Both must end identical.
 */
class KillResumeTest {
  private static final int ROWS = 10_000;
  private static final int KILLS = 20;

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_killedAt20RandomPointsAndResumed_endsLikeAnUninterruptedRun(Db db) throws Exception {
    long seed = Long.getLong("rotation.seed", System.nanoTime());
    System.out.println("KillResumeTest " + db + " seed " + seed + " (rerun with -Drotation.seed=" + seed + ")");
    Random rnd = new Random(seed);
    DataSource ds = db.dataSource();
    TestKey oldKey = TestKey.create("old");
    TestKey newKey = TestKey.create("new");
    try (Fixture ref = Fixture.create(db, ds, false, ROWS, oldKey, newKey);
        Fixture killed = Fixture.create(db, ds, false, ROWS, oldKey, newKey)) {
      TreeSet<Long> corrupt = new TreeSet<>();
      while (corrupt.size() < 15) {
        corrupt.add(1L + rnd.nextInt(ROWS));
      }
      for (long id : corrupt) {
        byte[] bad = ref.read(id);
        bad[bad.length - 1] ^= 0x40;
        ref.write(id, bad);
        killed.write(id, bad);
      }
      Map<Long, byte[]> original = killed.snapshot();

      RotationReport expected = ref.reencrypt().jobId("job").batchSize(250).build().run();

      ValueCipher from = ValueCipher.of(killed.oldEnv);
      AtomicLong decrypts = new AtomicLong();
      AtomicLong interruptAt = new AtomicLong(-1);
      ValueCipher hooked = new ValueCipher() {
        @Override
        public byte[] decrypt(byte[] value, EncryptionContext context) {
          if (decrypts.incrementAndGet() == interruptAt.get()) {
            Thread.currentThread().interrupt();
          }
          return from.decrypt(value, context);
        }

        @Override
        public byte[] encrypt(byte[] plaintext, EncryptionContext context) {
          return from.encrypt(plaintext, context);
        }

        @Override
        public boolean isCurrent(byte[] value) {
          return from.isCurrent(value);
        }
      };
      FaultyDataSource faulty = new FaultyDataSource(ds);
      int interrupts = 0;
      int crashes = 0;
      RotationReport last;
      for (;;) {
        boolean armed = interrupts + crashes < KILLS;
        if (armed) {
          if (rnd.nextBoolean()) {
            Map<String, Object> cp = killed.checkpoint("job");
            long remaining = ROWS - (cp == null ? 0 : (Long) cp.get("scanned"));
            // Every remaining row costs one decrypt, so this point is always reached.
            interruptAt.set(decrypts.get() + 1 + rnd.nextInt((int) Math.min(1000, remaining)));
          } else {
            // A run makes at least 12 database calls before its first batch is durable.
            faulty.arm(1 + rnd.nextInt(12), rnd.nextBoolean());
          }
        }
        try {
          last = killed.reencrypt().dataSource(faulty).from(hooked).jobId("job").batchSize(250).build().run();
          if (armed) {
            fail("the run finished before its kill point");
          }
          break;
        } catch (RotationInterruptedException e) {
          assertThat(Thread.interrupted()).as("interrupt flag restored").isTrue();
          interrupts++;
        } catch (RotationDatabaseException e) {
          crashes++;
        } finally {
          interruptAt.set(-1);
          faulty.disarm();
        }
        Map<String, Object> cp = killed.checkpoint("job");
        if (cp != null) {
          assertThat((Long) cp.get("scanned")).as("checkpoint consistent after kill")
              .isEqualTo((Long) cp.get("changed") + (Long) cp.get("skipped_current") + (Long) cp.get("skipped_empty")
                  + (Long) cp.get("failed"));
        }
      }
      System.out.println("KillResumeTest " + db + ": " + interrupts + " interrupts, " + crashes + " crashes");

      assertThat(interrupts + crashes).isEqualTo(KILLS);
      assertThat(last.state()).isEqualTo(JobState.COMPLETED);
      assertThat(last.scanned()).isEqualTo(expected.scanned()).isEqualTo(ROWS);
      assertThat(last.changed()).isEqualTo(expected.changed()).isEqualTo(ROWS - corrupt.size());
      assertThat(last.failed()).isEqualTo(expected.failed()).isEqualTo(corrupt.size());
      assertThat(last.skippedCurrent()).isEqualTo(expected.skippedCurrent());
      assertThat(last.skippedEmpty()).isEqualTo(expected.skippedEmpty());
      assertThat(last.conflictsRedone()).isEqualTo(expected.conflictsRedone());
      assertThat(last.failures()).isEqualTo(expected.failures());
      assertThat(last.failures()).extracting(RowFailure::rowId)
          .containsExactlyElementsOf(corrupt.stream().map(String::valueOf).toList());
      assertThat(killed.checkpoint("job")).isEqualTo(ref.checkpoint("job"));

      Map<Long, byte[]> done = killed.snapshot();
      Map<Long, byte[]> refDone = ref.snapshot();
      assertThat(done.keySet()).isEqualTo(refDone.keySet());
      ValueCipher target = ValueCipher.of(killed.newEnv);
      for (Map.Entry<Long, byte[]> e : done.entrySet()) {
        long id = e.getKey();
        if (corrupt.contains(id)) {
          assertThat(e.getValue()).isEqualTo(original.get(id)).isEqualTo(refDone.get(id));
        } else {
          assertThat(target.isCurrent(e.getValue())).isTrue();
          byte[] p = killed.newEnv.decrypt(e.getValue(), Fixture.ctx(id));
          assertThat(Arrays.equals(p, Fixture.plaintext(id, 0))).as("row %d", id).isTrue();
          assertThat(target.isCurrent(refDone.get(id))).isTrue();
        }
      }
    }
  }
}
