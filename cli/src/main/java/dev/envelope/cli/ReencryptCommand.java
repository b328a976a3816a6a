package dev.envelope.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.envelope.core.Envelope;
import dev.envelope.core.MasterKey;
import dev.envelope.rotation.JobBuilder;
import dev.envelope.rotation.JobState;
import dev.envelope.rotation.Progress;
import dev.envelope.rotation.ReencryptJob;
import dev.envelope.rotation.RotationJob;
import dev.envelope.rotation.RotationListener;
import dev.envelope.rotation.RotationReport;
import dev.envelope.rotation.RowContext;
import dev.envelope.rotation.RowFailure;
import dev.envelope.rotation.ValueEncoding;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "reencrypt", mixinStandardHelpOptions = true,
    description = {"Decrypt every value of a column with --from-key and encrypt it under --to-key, a batch per",
        "transaction, resumable (--resume JOB_ID), throttled (--rate), never overwriting a row the application",
        "changed meanwhile. Rows already under --to-key are skipped. Undecryptable rows are left untouched and",
        "listed; the command then exits " + ReencryptCommand.EXIT_ROWS_FAILED + "."})
final class ReencryptCommand implements Callable<Integer> {
  /** The job finished but some rows could not be migrated (they are listed in the report). */
  static final int EXIT_ROWS_FAILED = 5;

  @Spec
  CommandSpec spec;

  @Mixin
  JobOptions job;

  @Option(names = "--from-key", required = true, paramLabel = "SCHEME:SPEC",
      description = "Master key that decrypts the current values, repeatable.")
  List<String> fromKeys;

  @Option(names = "--to-key", required = true, paramLabel = "SCHEME:SPEC",
      description = "Master key the new values are encrypted under, repeatable (each alone can decrypt).")
  List<String> toKeys;

  @Override
  public Integer call() throws Exception {
    try (Envelope from = Envelope.builder().masterKeys(job.resolve(fromKeys)).build();
        Envelope to = Envelope.builder().masterKeys(job.resolve(toKeys)).build()) {
      ReencryptJob.Builder b = ReencryptJob.builder().from(from).to(to);
      job.configure(b);
      return job.execute(spec, "reencrypt", b.build());
    }
  }

  /** Options and behaviour shared by {@code reencrypt} and {@code rewrap}. */
  static final class JobOptions {
    @Mixin
    DatabaseOptions database;

    @Option(names = "--table", required = true, paramLabel = "TABLE", description = "Table, optionally schema.table.")
    String table;

    @Option(names = "--id-column", defaultValue = "id", paramLabel = "COLUMN",
        description = "Unique, non-null key to page by (integer, text or UUID); default ${DEFAULT-VALUE}.")
    String idColumn;

    @Option(names = "--column", required = true, paramLabel = "COLUMN", description = "The encrypted column.")
    String column;

    @Option(names = "--context-template", required = true, paramLabel = "TEMPLATE",
        description = "Encryption context of each row, e.g. 'table=users,id={id}'; {id} is the key, {name} any "
            + "other column; '' for an empty context.")
    String contextTemplate;

    @Option(names = "--encoding", paramLabel = "binary|base64|base64url",
        description = "How the column stores bytes; default: binary for BLOB/BYTEA/VARBINARY, base64 for text.")
    String encoding;

    @Option(names = "--batch", defaultValue = "500", paramLabel = "ROWS", description = "Rows per transaction; default ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--rate", paramLabel = "ROWS_PER_SECOND", description = "At most this many rows per second.")
    Double rate;

    @Option(names = "--limit", paramLabel = "ROWS", description = "Stop after this many rows (resume later).")
    Long limit;

    @Option(names = "--dry-run", description = "Read and decrypt everything, write nothing; count what would change.")
    boolean dryRun;

    @Option(names = "--job-id", paramLabel = "JOB_ID", description = "Id for a new job (or an existing one to resume).")
    String jobId;

    @Option(names = "--resume", paramLabel = "JOB_ID", description = "Resume this job from its checkpoint.")
    String resume;

    @Option(names = "--checkpoint-table", paramLabel = "TABLE",
        description = "Checkpoint table; default " + JobBuilder.DEFAULT_CHECKPOINT_TABLE + ".")
    String checkpointTable;

    @Option(names = "--json", description = "Print the final report as JSON on stdout.")
    boolean json;

    @Option(names = "--progress", defaultValue = "auto", paramLabel = "auto|bar|lines|none",
        description = "Progress on stderr: a bar on a terminal, else a line every --progress-interval; default ${DEFAULT-VALUE}.")
    String progress;

    @Option(names = "--progress-interval", defaultValue = "10", paramLabel = "SECONDS",
        description = "Seconds between progress lines; default ${DEFAULT-VALUE}.")
    int progressInterval;

    @Mixin
    KeyOptions.Providers providers;

    List<MasterKey> resolve(List<String> specs) {
      return providers.resolve(specs);
    }

    void configure(JobBuilder<?> b) throws IOException {
      b.dataSource(database.dataSource())
          .table(table).idColumn(idColumn).column(column)
          .context(RowContext.template(contextTemplate))
          .batchSize(batch).dryRun(dryRun);
      if (encoding != null) {
        b.encoding(switch (encoding.toLowerCase(Locale.ROOT)) {
          case "binary" -> ValueEncoding.BINARY;
          case "base64" -> ValueEncoding.BASE64;
          case "base64url" -> ValueEncoding.BASE64_URL;
          default -> throw new IllegalArgumentException("--encoding takes binary, base64 or base64url");
        });
      }
      if (rate != null) {
        b.rateLimit(rate);
      }
      if (limit != null) {
        b.limit(limit);
      }
      if (jobId != null && resume != null) {
        throw new IllegalArgumentException("give --job-id or --resume, not both");
      }
      if (jobId != null) {
        b.jobId(jobId);
      }
      if (resume != null) {
        b.resume(resume);
      }
      if (checkpointTable != null) {
        b.checkpointTable(checkpointTable);
      }
      if (progressInterval < 1) {
        throw new IllegalArgumentException("--progress-interval must be at least 1 second");
      }
    }

    /** Runs the job with progress on stderr and the report on stdout; returns the exit code. */
    int execute(CommandSpec spec, String kind, RotationJob rotationJob) throws IOException {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      String mode = progress.toLowerCase(Locale.ROOT);
      if (mode.equals("auto")) {
        mode = System.console() != null ? "bar" : "lines";
      }
      RotationListener listener = switch (mode) {
        case "bar" -> new BarListener(kind);
        case "lines" -> new LineListener(kind, err, Duration.ofSeconds(progressInterval));
        case "none" -> RotationListener.noop();
        default -> throw new IllegalArgumentException("--progress takes auto, bar, lines or none");
      };
      if (!dryRun) {
        err.println("envelope: " + kind + " job " + rotationJob.jobId() + " (resume with --resume "
            + rotationJob.jobId() + ")");
      }
      // Ctrl-C: interrupt the job so it rolls back its batch and records INTERRUPTED.
      Thread worker = Thread.currentThread();
      Thread hook = new Thread(() -> {
        worker.interrupt();
        try {
          worker.join(10_000);
        } catch (InterruptedException ignored) {
          Thread.currentThread().interrupt();
        }
      }, "envelope-" + kind + "-shutdown");
      boolean hooked = false;
      try {
        Runtime.getRuntime().addShutdownHook(hook);
        hooked = true;
      } catch (IllegalStateException ignored) {
        // already shutting down
      }
      RotationReport report;
      try {
        report = rotationJob.run(listener);
      } finally {
        if (listener instanceof BarListener bar) {
          bar.close();
        }
        if (hooked) {
          try {
            Runtime.getRuntime().removeShutdownHook(hook);
          } catch (IllegalStateException ignored) {
            // shutting down: the hook is running
          }
        }
      }
      if (json) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        out.println(mapper.writeValueAsString(toMap(kind, report)));
      } else {
        printReport(out, kind, report);
      }
      out.flush();
      if (report.failed() > 0) {
        return EXIT_ROWS_FAILED;
      }
      return 0;
    }
  }

  static Map<String, Object> toMap(String kind, RotationReport r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("job", kind);
    m.put("jobId", r.jobId());
    m.put("state", r.state().name());
    m.put("dryRun", r.dryRun());
    m.put("scanned", r.scanned());
    m.put("changed", r.changed());
    m.put("skippedCurrent", r.skippedCurrent());
    m.put("skippedEmpty", r.skippedEmpty());
    m.put("conflictsRedone", r.conflictsRedone());
    m.put("failed", r.failed());
    List<Map<String, String>> failures = new ArrayList<>();
    for (RowFailure f : r.failures()) {
      failures.add(Map.of("id", f.rowId(), "reason", f.reason().name()));
    }
    m.put("failures", failures);
    m.put("failuresListed", failures.size());
    m.put("elapsedMillis", r.elapsed().toMillis());
    return m;
  }

  static void printReport(PrintWriter out, String kind, RotationReport r) {
    String verb = r.dryRun() ? "would change" : "changed";
    out.println(kind + " job " + r.jobId() + ": " + r.state()
        + (r.state() == JobState.PAUSED ? " (limit reached; resume with --resume " + r.jobId() + ")" : "")
        + (r.dryRun() ? " (dry run: nothing was written)" : ""));
    out.println("  scanned          " + r.scanned());
    out.println("  " + String.format(Locale.ROOT, "%-17s", verb) + r.changed());
    out.println("  already current  " + r.skippedCurrent());
    out.println("  empty (NULL)     " + r.skippedEmpty());
    out.println("  conflicts redone " + r.conflictsRedone());
    out.println("  failed           " + r.failed());
    int shown = 0;
    for (RowFailure f : r.failures()) {
      if (shown++ == 20) {
        out.println("  ... " + (r.failed() - 20) + " more failed rows (see --json, or the checkpoint table's _failures)");
        break;
      }
      out.println("  failed row " + f.rowId() + ": " + f.reason());
    }
    out.println("  took             " + formatDuration(r.elapsed()));
  }

  static String formatDuration(Duration d) {
    long s = d.toSeconds();
    return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, (s / 60) % 60, s % 60);
  }

  /** Plain lines for logs and pipes: one every interval, and one at the end. */
  static final class LineListener implements RotationListener {
    private final String kind;
    private final PrintWriter err;
    private final long intervalNanos;
    private long lastPrinted = System.nanoTime();

    LineListener(String kind, PrintWriter err, Duration interval) {
      this.kind = kind;
      this.err = err;
      this.intervalNanos = interval.toNanos();
    }

    @Override
    public void onProgress(Progress p) {
      long now = System.nanoTime();
      if (now - lastPrinted >= intervalNanos) {
        lastPrinted = now;
        print(p);
      }
    }

    @Override
    public void onFinish(RotationReport r) {
      err.println("envelope: " + kind + " " + r.jobId() + ": " + r.state() + ", " + r.scanned() + " rows scanned");
      err.flush();
    }

    private void print(Progress p) {
      StringBuilder sb = new StringBuilder("envelope: ").append(kind).append(' ').append(p.jobId()).append(": ")
          .append(p.scanned());
      if (p.estimatedTotal() >= 0) {
        sb.append('/').append(p.estimatedTotal())
            .append(String.format(Locale.ROOT, " (%.1f%%)", p.percent()));
      }
      sb.append(" rows, ").append(String.format(Locale.ROOT, "%.0f", p.rowsPerSecond())).append(" rows/s");
      if (p.eta() != null) {
        sb.append(", ETA ").append(formatDuration(p.eta()));
      }
      sb.append(", changed ").append(p.changed()).append(", current ").append(p.skippedCurrent())
          .append(", conflicts ").append(p.conflictsRedone()).append(", failed ").append(p.failed());
      err.println(sb);
      err.flush();
    }
  }

  /** A terminal progress bar (me.tongfei:progressbar) on the process's stderr. */
  static final class BarListener implements RotationListener {
    private final String kind;
    private ProgressBar bar;

    BarListener(String kind) {
      this.kind = kind;
    }

    @Override
    public void onStart(Progress p) {
      bar = new ProgressBarBuilder().setTaskName(kind).setInitialMax(Math.max(p.estimatedTotal(), 0))
          .setStyle(ProgressBarStyle.ASCII).setUnit(" rows", 1).showSpeed()
          .setConsumer(new ConsoleProgressBarConsumer(new PrintStream(System.err, true, StandardCharsets.UTF_8)))
          .build();
      bar.stepTo(p.scanned());
    }

    @Override
    public void onProgress(Progress p) {
      if (bar != null) {
        if (p.scanned() > bar.getMax() && bar.getMax() > 0) {
          bar.maxHint(p.scanned());
        }
        bar.stepTo(p.scanned());
        bar.setExtraMessage(" changed " + p.changed() + ", failed " + p.failed());
      }
    }

    void close() {
      if (bar != null) {
        bar.close();
      }
    }
  }
}
