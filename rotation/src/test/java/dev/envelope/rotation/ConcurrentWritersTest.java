package dev.envelope.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.envelope.core.Envelope;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The application keeps writing while the job runs: 4 writer threads update random rows (each
 * owns the rows {@code id % 4 == w}, so every row has one well-defined last write), half under
 * the old key and half under the new, with blind {@code UPDATE ... WHERE id = ?}. A reader checks
 * that no row ever goes back to an older write (a stale overwrite) while the job runs.
 */
class ConcurrentWritersTest {
  private static final int ROWS = 1000;
  private static final int WRITERS = 4;

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_fourWritersDuringJob_noLostWriteNoStaleOverwrite(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, ROWS);
        Envelope both = Envelope.builder().masterKeys(f.newKey).alsoDecryptWith(f.oldKey).build()) {
      AtomicLongArray lastWritten = new AtomicLongArray(ROWS + 1);
      AtomicLongArray lastSeen = new AtomicLongArray(ROWS + 1);
      AtomicBoolean done = new AtomicBoolean();
      AtomicLong writes = new AtomicLong();
      ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < WRITERS; w++) {
        int writer = w;
        threads.add(new Thread(() -> {
          ThreadLocalRandom rnd = ThreadLocalRandom.current();
          try (Connection c = f.ds.getConnection()) {
            while (!done.get()) {
              long id = 1 + writer + (long) WRITERS * rnd.nextInt(ROWS / WRITERS);
              long seq = lastWritten.get((int) id) + 1;
              Envelope env = rnd.nextBoolean() ? f.oldEnv : f.newEnv;
              f.write(c, id, env.encrypt(Fixture.plaintext(id, seq), Fixture.ctx(id)));
              lastWritten.set((int) id, seq);
              writes.incrementAndGet();
            }
          } catch (SQLException | RuntimeException e) {
            problems.add("writer " + writer + ": " + e);
          }
        }, "writer-" + w));
      }
      threads.add(new Thread(() -> {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        try (Connection c = f.ds.getConnection()) {
          while (!done.get()) {
            int id = 1 + rnd.nextInt(ROWS);
            long seq = seqOf(both.decrypt(f.read(c, id), Fixture.ctx(id)));
            long before = lastSeen.getAndAccumulate(id, seq, Math::max);
            if (seq < before) {
              problems.add("row " + id + " went back from write " + before + " to " + seq);
            }
          }
        } catch (SQLException | RuntimeException e) {
          problems.add("reader: " + e);
        }
      }, "reader"));
      threads.forEach(Thread::start);
      RotationReport r;
      try {
        // Throttled so the run overlaps plenty of application writes.
        r = f.reencrypt().batchSize(50).rateLimit(2500).build().run();
      } finally {
        done.set(true);
        for (Thread t : threads) {
          t.join();
        }
      }
      System.out.println("ConcurrentWritersTest " + db + ": " + writes + " application writes, " + r);

      assertThat(problems).isEmpty();
      assertThat(r.state()).isEqualTo(JobState.COMPLETED);
      assertThat(r.failed()).isZero();
      assertThat(r.scanned()).isEqualTo(ROWS);
      assertThat(r.changed() + r.skippedCurrent()).isEqualTo(ROWS);
      assertThat(r.conflictsRedone()).isPositive();
      assertThat(writes.get()).isGreaterThan(ROWS / 2);
      int lost = 0;
      for (var e : f.snapshot().entrySet()) {
        int id = e.getKey().intValue();
        long seq = seqOf(both.decrypt(e.getValue(), Fixture.ctx(id)));
        if (seq != lastWritten.get(id)) {
          lost++;
        }
      }
      assertThat(lost).as("lost writes").isZero();
    }
  }

  private static long seqOf(byte[] plaintext) {
    String s = new String(plaintext, StandardCharsets.UTF_8);
    return Long.parseLong(s.substring(s.lastIndexOf('-') + 1));
  }
}
