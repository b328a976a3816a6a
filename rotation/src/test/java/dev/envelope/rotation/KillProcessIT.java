package dev.envelope.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;

/**
 * The job in a separate JVM, killed with {@code destroyForcibly} (SIGKILL) at 20 random moments
 * and started again each time: the end state equals an uninterrupted run's. Runs on PostgreSQL
 * when reachable (durable commits, the reference), else on an H2 file database; the in-process
 * {@link KillResumeTest} covers both databases with 20 kills each.
 */
class KillProcessIT {
  private static final int ROWS = 10_000;
  private static final int KILLS = 20;

  @TempDir
  Path dir;

  @Test
  void childJvm_killedAt20RandomMomentsAndRestarted_endsLikeAnUninterruptedRun() throws Exception {
    Db db = Db.postgres() != null ? Db.POSTGRES : Db.H2;
    long seed = Long.getLong("rotation.seed", System.nanoTime());
    System.out.println("KillProcessIT " + db + " seed " + seed);
    Random rnd = new Random(seed);
    String url;
    DataSource ds;
    if (db == Db.H2) {
      // A file database: the child opens it while the test holds no connection.
      url = "jdbc:h2:file:" + dir.resolve("rot").toAbsolutePath() + ";LOCK_TIMEOUT=20000";
      ds = RotationChild.dataSource(url);
    } else {
      ds = db.dataSource();
      url = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
    }
    TestKey oldKey = TestKey.create("old");
    TestKey newKey = TestKey.create("new");
    Path oldFile = dir.resolve("old.key");
    Path newFile = dir.resolve("new.key");
    oldKey.save(oldFile);
    newKey.save(newFile);
    try (Fixture f = Fixture.create(db, ds, false, ROWS, oldKey, newKey);
        Fixture ref = Fixture.create(db, ds, false, ROWS, oldKey, newKey)) {
      TreeSet<Long> corrupt = new TreeSet<>();
      while (corrupt.size() < 10) {
        corrupt.add(1L + rnd.nextInt(ROWS));
      }
      for (long id : corrupt) {
        f.write(id, new byte[] {(byte) id, 1, 2, 3});
        ref.write(id, new byte[] {(byte) id, 1, 2, 3});
      }
      List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
          "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), RotationChild.class.getName(), url,
          f.table, f.checkpoints, "job", oldFile.toString(), newFile.toString(), "4000");

      int kills = 0;
      int runs = 0;
      String lastLine = null;
      while (true) {
        runs++;
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        List<String> lines = new ArrayList<>();
        String line;
        boolean killed = false;
        // Kill points: most past the last checkpoint by a random share of what is left (so the 20
        // kills spread over the table), some during start-up; a 0-30 ms delay (less than one
        // throttled batch) lands them mid-batch or mid-commit.
        Map<String, Object> before = f.checkpoint("job");
        long committed = before == null ? 0 : (Long) before.get("scanned");
        long remaining = ROWS - committed;
        int killsLeft = KILLS - kills;
        // Near the end, kill during start-up: at 4000 rows/s a 30 ms delay cannot finish a batch.
        boolean atStart = rnd.nextInt(5) == 0 || remaining < killsLeft * 400L;
        long target = committed + 1 + rnd.nextInt((int) Math.max(1, remaining / (killsLeft + 1)));
        while ((line = out.readLine()) != null) {
          lines.add(line);
          boolean due = atStart ? line.startsWith("started")
              : line.startsWith("progress") && Long.parseLong(line.substring(9)) >= target;
          if (kills < KILLS && due) {
            Thread.sleep(rnd.nextInt(30));
            if (p.isAlive()) {
              p.destroyForcibly();
              killed = true;
            }
            break;
          }
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        if (killed && p.exitValue() != 0) {
          kills++;
          Map<String, Object> cp = f.checkpoint("job");
          if (cp != null) {
            assertThat((Long) cp.get("scanned")).isEqualTo((Long) cp.get("changed") + (Long) cp.get("failed"));
          }
          continue;
        }
        out.lines().forEach(lines::add);
        lastLine = lines.isEmpty() ? null : lines.get(lines.size() - 1);
        assertThat(p.exitValue()).as(String.join("\n", lines)).isZero();
        break; // the run after the last kill finished the job
      }
      System.out.println("KillProcessIT " + db + ": " + kills + " kills in " + runs + " runs; " + lastLine);
      assertThat(kills).isEqualTo(KILLS);

      RotationReport expected = ref.reencrypt().jobId("job").batchSize(200).build().run();
      assertThat(f.checkpoint("job")).isEqualTo(ref.checkpoint("job"));
      assertThat(f.checkpoint("job")).containsEntry("state", "COMPLETED").containsEntry("scanned", (long) ROWS)
          .containsEntry("failed", (long) corrupt.size());
      RotationReport again = f.reencrypt().resume("job").build().run();
      assertThat(again.failures()).isEqualTo(expected.failures());
      ValueCipher target = ValueCipher.of(f.newEnv);
      for (Map.Entry<Long, byte[]> e : f.snapshot().entrySet()) {
        long id = e.getKey();
        if (corrupt.contains(id)) {
          assertThat(e.getValue()).containsExactly((byte) id, 1, 2, 3);
        } else {
          assertThat(target.isCurrent(e.getValue())).isTrue();
          assertThat(f.newEnv.decrypt(e.getValue(), Fixture.ctx(id))).isEqualTo(Fixture.plaintext(id, 0));
        }
      }
    }
  }
}
