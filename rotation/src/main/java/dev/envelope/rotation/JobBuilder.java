package dev.envelope.rotation;

import dev.envelope.core.Ticker;
import dev.envelope.rotation.internal.JobSpec;
import dev.envelope.rotation.internal.Sql;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Settings shared by {@link ReencryptJob} and {@link RewrapJob}.
 *
 * @param <B> the concrete builder
 */
public abstract class JobBuilder<B extends JobBuilder<B>> {
  /** Default checkpoint table; failures go to the same name plus {@code _failures}. */
  public static final String DEFAULT_CHECKPOINT_TABLE = "envelope_rotation_jobs";

  private static final Pattern JOB_ID = Pattern.compile("[A-Za-z0-9._-]{1,100}");

  private DataSource dataSource;
  private String table;
  private String idColumn;
  private String column;
  private RowContext context;
  private final Set<String> contextColumns = new LinkedHashSet<>();
  private ValueEncoding encoding;
  private int batchSize = 500;
  private double rateLimit;
  private long limit;
  private boolean dryRun;
  private String jobId;
  private boolean resume;
  private String checkpointTable = DEFAULT_CHECKPOINT_TABLE;
  private int maxConflictRetries = 5;
  private int maxReportedFailures = 1000;
  private boolean estimateTotal = true;
  private Ticker ticker = Ticker.system();
  private Sleeper sleeper = Sleeper.system();
  private Clock clock = Clock.systemUTC();

  JobBuilder() {}

  @SuppressWarnings("unchecked")
  private B self() {
    return (B) this;
  }

  /** Where the table and the checkpoint table live; the job uses one connection at a time. */
  public B dataSource(DataSource dataSource) {
    this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
    return self();
  }

  /** The table, optionally {@code schema.table}; plain SQL identifiers only. */
  public B table(String table) {
    this.table = Sql.identifier(table, "table", true);
    return self();
  }

  /** The primary key (or another unique, non-null, ordered column): integer, text or UUID. */
  public B idColumn(String idColumn) {
    this.idColumn = Sql.identifier(idColumn, "id column", false);
    return self();
  }

  /** The encrypted column. */
  public B column(String column) {
    this.column = Sql.identifier(column, "column", false);
    return self();
  }

  /** The encryption context each row's value is bound to. Required (say {@code row -> EncryptionContext.empty()} if none). */
  public B context(RowContext context) {
    this.context = Objects.requireNonNull(context, "context");
    return self();
  }

  /** Other columns the context reads through {@link Row#get}; a template's columns are added by itself. */
  public B contextColumns(String... columns) {
    for (String c : columns) {
      contextColumns.add(Sql.identifier(c, "context column", false));
    }
    return self();
  }

  /** How the column stores bytes; default: BINARY for binary column types, BASE64 for text types. */
  public B encoding(ValueEncoding encoding) {
    this.encoding = Objects.requireNonNull(encoding, "encoding");
    return self();
  }

  /**
   * Rows per transaction, 1..100,000; default 500. Rows the job rewrote stay locked until their
   * batch commits, so this bounds how long an application write can wait on the job.
   */
  public B batchSize(int rows) {
    if (rows < 1 || rows > 100_000) {
      throw new IllegalArgumentException("batch size must be 1..100000 rows");
    }
    this.batchSize = rows;
    return self();
  }

  /**
   * At most this many rows per second (every row read counts, and so does every re-read after a
   * conflict), so key-service calls stay under their quota. Default: unlimited.
   */
  public B rateLimit(double rowsPerSecond) {
    if (!(rowsPerSecond > 0) || Double.isInfinite(rowsPerSecond) || rowsPerSecond > 1e9) {
      throw new IllegalArgumentException("rate limit must be a positive number of rows per second");
    }
    this.rateLimit = rowsPerSecond;
    return self();
  }

  /** Stop after scanning this many rows in this run (state PAUSED); resume later to go on. */
  public B limit(long rows) {
    if (rows < 1) {
      throw new IllegalArgumentException("limit must be at least 1 row");
    }
    this.limit = rows;
    return self();
  }

  /** Read and decrypt everything, write nothing (not even a checkpoint): counts say what would change. */
  public B dryRun(boolean dryRun) {
    this.dryRun = dryRun;
    return self();
  }

  /**
   * The job's id: a new job is created under it, or an existing one resumes from its checkpoint.
   * Default: a new random id (see {@link RotationReport#jobId()}).
   */
  public B jobId(String jobId) {
    Objects.requireNonNull(jobId, "jobId");
    if (!JOB_ID.matcher(jobId).matches()) {
      throw new IllegalArgumentException("job id must be 1..100 characters of A-Z a-z 0-9 . _ -");
    }
    this.jobId = jobId;
    this.resume = false;
    return self();
  }

  /** Resumes the existing job {@code jobId}; {@link RotationJob#run} fails if it has no checkpoint. */
  public B resume(String jobId) {
    jobId(jobId);
    this.resume = true;
    return self();
  }

  /** Checkpoint table name (created if missing, with {@code <name>_failures} beside it). */
  public B checkpointTable(String name) {
    String t = Sql.identifier(name, "checkpoint table", true);
    if (t.length() > 50) {
      throw new IllegalArgumentException("checkpoint table name must be at most 50 characters");
    }
    this.checkpointTable = t;
    return self();
  }

  /** Re-reads of one row whose compare-and-set lost before it is reported as CONFLICT; default 5. */
  public B maxConflictRetries(int n) {
    if (n < 1 || n > 1000) {
      throw new IllegalArgumentException("max conflict retries must be 1..1000");
    }
    this.maxConflictRetries = n;
    return self();
  }

  /** Failed rows listed in the report (all are counted and stored); default 1000. */
  public B maxReportedFailures(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("max reported failures must not be negative");
    }
    this.maxReportedFailures = n;
    return self();
  }

  /** Whether to {@code COUNT(*)} the table at start for percent and ETA; default true. */
  public B estimateTotal(boolean estimate) {
    this.estimateTotal = estimate;
    return self();
  }

  /** Time source for the rate limit, rows/s and ETA. */
  public B ticker(Ticker ticker) {
    this.ticker = Objects.requireNonNull(ticker, "ticker");
    return self();
  }

  /** How the rate limiter waits; pair it with {@link #ticker} in tests. */
  public B sleeper(Sleeper sleeper) {
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
    return self();
  }

  /** Wall clock for the checkpoint's timestamps. */
  public B clock(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    return self();
  }

  JobSpec spec(String kind, dev.envelope.rotation.internal.Transform transform) {
    if (dataSource == null) {
      throw new IllegalStateException("dataSource(...) is required");
    }
    if (table == null || idColumn == null || column == null) {
      throw new IllegalStateException("table(...), idColumn(...) and column(...) are required");
    }
    if (context == null) {
      throw new IllegalStateException("context(...) is required: the encryption context each value is bound to");
    }
    if (idColumn.equalsIgnoreCase(column)) {
      throw new IllegalStateException("the id column cannot be the encrypted column");
    }
    Set<String> columns = new LinkedHashSet<>(contextColumns);
    for (String c : context.columns()) {
      columns.add(Sql.identifier(c, "context column", false));
    }
    String id = jobId != null ? jobId : JobSpec.newJobId(kind);
    return new JobSpec(kind, id, resume, dataSource, table, idColumn, column, context, java.util.List.copyOf(columns),
        encoding, batchSize, rateLimit, limit, dryRun, checkpointTable, maxConflictRetries, maxReportedFailures,
        estimateTotal, ticker, sleeper, clock, transform);
  }
}
