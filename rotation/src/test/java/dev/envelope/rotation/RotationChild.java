package dev.envelope.rotation;

import dev.envelope.core.Envelope;
import java.nio.file.Path;
import javax.sql.DataSource;
import org.h2.jdbcx.JdbcDataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * The job in a process of its own, for {@link KillProcessIT}: args are JDBC URL, table,
 * checkpoint table, job id, old key file, new key file, rows per second (0: unlimited). Prints {@code started},
 * {@code progress N} after each committed batch, and {@code done ...} at the end.
 */
public final class RotationChild {
  private RotationChild() {}

  public static void main(String[] args) throws Exception {
    DataSource ds = dataSource(args[0]);
    TestKey oldKey = TestKey.load(Path.of(args[4]));
    TestKey newKey = TestKey.load(Path.of(args[5]));
    ReencryptJob.Builder b = ReencryptJob.builder();
    double rate = Double.parseDouble(args[6]);
    if (rate > 0) {
      b.rateLimit(rate);
    }
    try (Envelope from = Envelope.builder().masterKeys(oldKey).build();
        Envelope to = Envelope.builder().masterKeys(newKey).build()) {
      RotationReport r = b.dataSource(ds).table(args[1]).idColumn("id").column("v")
          .context(Fixture.rowContext()).from(from).to(to).checkpointTable(args[2]).jobId(args[3]).batchSize(200)
          .build().run(new RotationListener() {
            @Override
            public void onStart(Progress p) {
              System.out.println("started " + p.scanned());
              System.out.flush();
            }

            @Override
            public void onProgress(Progress p) {
              System.out.println("progress " + p.scanned());
              System.out.flush();
            }
          });
      System.out.println("done " + r);
    }
  }

  static DataSource dataSource(String url) {
    if (url.startsWith("jdbc:h2:")) {
      JdbcDataSource h2 = new JdbcDataSource();
      h2.setURL(url);
      return h2;
    }
    PGSimpleDataSource pg = new PGSimpleDataSource();
    pg.setUrl(url);
    return pg;
  }
}
