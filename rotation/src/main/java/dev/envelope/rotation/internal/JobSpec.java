package dev.envelope.rotation.internal;

import dev.envelope.core.Ticker;
import dev.envelope.rotation.RowContext;
import dev.envelope.rotation.Sleeper;
import dev.envelope.rotation.ValueEncoding;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import javax.sql.DataSource;

/** A validated job configuration; built by the public builders. */
public record JobSpec(
    String kind,
    String jobId,
    boolean resume,
    DataSource dataSource,
    String table,
    String idColumn,
    String column,
    RowContext context,
    List<String> contextColumns,
    ValueEncoding encoding,
    int batchSize,
    double rateLimit,
    long limit,
    boolean dryRun,
    String checkpointTable,
    int maxConflictRetries,
    int maxReportedFailures,
    boolean estimateTotal,
    Ticker ticker,
    Sleeper sleeper,
    Clock clock,
    Transform transform) {

  private static final SecureRandom RANDOM = new SecureRandom();

  public static String newJobId(String kind) {
    byte[] b = new byte[6];
    RANDOM.nextBytes(b);
    return kind + "-" + HexFormat.of().formatHex(b);
  }

  /** What the checkpoint records about the target, to refuse resuming a job on another column. */
  String target() {
    return table + "." + column + " by " + idColumn;
  }

  public String describe() {
    return "id=" + jobId + ", " + target() + (dryRun ? ", dry run" : "");
  }
}
