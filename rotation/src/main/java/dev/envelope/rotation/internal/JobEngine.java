package dev.envelope.rotation.internal;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.rotation.FailureReason;
import dev.envelope.rotation.JobState;
import dev.envelope.rotation.Progress;
import dev.envelope.rotation.RotationDatabaseException;
import dev.envelope.rotation.RotationInterruptedException;
import dev.envelope.rotation.RotationListener;
import dev.envelope.rotation.RotationReport;
import dev.envelope.rotation.Row;
import dev.envelope.rotation.RowFailure;
import dev.envelope.rotation.ValueEncoding;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Runs one job on one connection: keyset pages by the id column, one transaction per page that
 * holds the page's compare-and-set updates, its failure records and its checkpoint.
 */
public final class JobEngine {
  private static final int MAX_BATCH_RETRIES = 5;

  private final JobSpec spec;
  private final Checkpoints checkpoints;
  private final RateLimiter limiter;
  private IdKind idKind;
  private ValueEncoding encoding;

  public JobEngine(JobSpec spec) {
    this.spec = spec;
    this.checkpoints = new Checkpoints(spec.checkpointTable(), spec.clock());
    this.limiter = new RateLimiter(spec.rateLimit(), spec.ticker(), spec.sleeper());
  }

  /** Thrown inside the engine when the thread was interrupted; becomes RotationInterruptedException. */
  private static final class Interrupted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Interrupted() {
      super(null, null, false, false);
    }
  }

  /** A row as read: the stored value is byte[] (binary) or String (text), exactly as in the column. */
  private record StoredRow(Object id, String idString, Object stored, Map<String, String> contextColumns) {}

  private enum Kind { CHANGED, CURRENT, EMPTY, FAILED }

  private record Outcome(Kind kind, Object newValue, FailureReason reason) {
    static final Outcome CURRENT = new Outcome(Kind.CURRENT, null, null);
    static final Outcome EMPTY = new Outcome(Kind.EMPTY, null, null);

    static Outcome failed(FailureReason r) {
      return new Outcome(Kind.FAILED, null, r);
    }
  }

  private record BatchResult(Checkpoint checkpoint, int rows, List<RowFailure> failures) {}

  public RotationReport run(RotationListener listener) {
    long started = spec.ticker().read();
    Connection c = null;
    Checkpoint cp = null;
    try {
      c = spec.dataSource().getConnection();
      c.setAutoCommit(false);
      describeTable(c);
      c.rollback();
      if (spec.dryRun()) {
        cp = Checkpoint.fresh(spec.jobId(), spec.kind(), spec.target());
      } else {
        checkpoints.ensureTables(c);
        Optional<Checkpoint> existing = checkpoints.load(c, spec.jobId());
        if (existing.isEmpty()) {
          if (spec.resume()) {
            throw new IllegalArgumentException("no checkpoint for job " + spec.jobId() + " in " + spec.checkpointTable());
          }
          Checkpoint fresh = Checkpoint.fresh(spec.jobId(), spec.kind(), spec.target());
          checkpoints.insert(c, fresh);
          c.commit();
          cp = fresh;
        } else {
          Checkpoint old = existing.get();
          if (!old.kind().equals(spec.kind()) || !old.target().equals(spec.target())) {
            throw new IllegalArgumentException("job " + spec.jobId() + " is a " + old.kind() + " job on " + old.target()
                + ", not a " + spec.kind() + " job on " + spec.target());
          }
          // Before the state moves to RUNNING: an unreadable last key must stop the run with nothing written.
          Checkpoints.lastKey(old, idKind);
          if (old.state() == JobState.COMPLETED) {
            c.rollback();
            RotationReport report = report(c, old, started, List.of());
            listener.onFinish(report);
            return report;
          }
          Checkpoint running = old.withState(JobState.RUNNING);
          if (!checkpoints.advance(c, old, running)) {
            throw new IllegalStateException("job " + spec.jobId() + " was advanced by another process while starting");
          }
          c.commit();
          cp = running;
        }
      }
      long total = -1;
      if (spec.estimateTotal()) {
        total = count(c);
        c.rollback();
      }
      listener.onStart(progress(cp, total, 0, started));
      List<RowFailure> dryFailures = new ArrayList<>();
      JobState end = JobState.COMPLETED;
      long runScanned = 0;
      for (;;) {
        checkInterrupted();
        if (spec.limit() > 0 && runScanned >= spec.limit()) {
          end = JobState.PAUSED;
          break;
        }
        int n = (int) (spec.limit() > 0 ? Math.min(spec.batchSize(), spec.limit() - runScanned) : spec.batchSize());
        BatchResult r = batchWithRetry(c, cp, n);
        if (r == null) {
          break;
        }
        cp = r.checkpoint();
        runScanned += r.rows();
        for (RowFailure f : r.failures()) {
          if (spec.dryRun() && dryFailures.size() < spec.maxReportedFailures()) {
            dryFailures.add(f);
          }
          listener.onRowFailed(f);
        }
        listener.onProgress(progress(cp, total, runScanned, started));
        if (r.rows() < n) {
          break; // a short page is the last one; saves one empty query
        }
      }
      Checkpoint fin = cp.withState(end);
      if (!spec.dryRun()) {
        if (!checkpoints.advance(c, cp, fin)) {
          throw new IllegalStateException("job " + spec.jobId() + " was advanced by another process");
        }
        c.commit();
      }
      cp = fin;
      RotationReport report = report(c, cp, started, dryFailures);
      listener.onFinish(report);
      return report;
    } catch (Interrupted e) {
      stop(c, cp, JobState.INTERRUPTED, null);
      Thread.currentThread().interrupt();
      throw new RotationInterruptedException(spec.jobId());
    } catch (SQLException e) {
      if (Thread.currentThread().isInterrupted()) {
        Thread.interrupted();
        stop(c, cp, JobState.INTERRUPTED, e);
        Thread.currentThread().interrupt();
        RotationInterruptedException ie = new RotationInterruptedException(spec.jobId());
        ie.initCause(e);
        throw ie;
      }
      RotationDatabaseException dbe = new RotationDatabaseException("database error in rotation job " + spec.jobId()
          + " (SQLState " + e.getSQLState() + "); the batch in flight rolled back, resume to go on", e);
      stop(c, cp, JobState.FAILED, dbe);
      throw dbe;
    } catch (RuntimeException | Error e) {
      stop(c, cp, JobState.FAILED, e);
      throw e;
    } finally {
      if (c != null) {
        try {
          c.close();
        } catch (SQLException ignored) {
          // the connection is being discarded
        }
      }
    }
  }

  /** Best effort: roll back the batch in flight and record why the run stopped. */
  private void stop(Connection c, Checkpoint cp, JobState state, Throwable failure) {
    if (c == null) {
      return;
    }
    try {
      c.rollback();
      if (cp != null && !spec.dryRun()) {
        checkpoints.advance(c, cp, cp.withState(state));
        c.commit();
      }
    } catch (SQLException | RuntimeException e) {
      if (failure != null) {
        failure.addSuppressed(e);
      }
    }
  }

  private static void checkInterrupted() {
    if (Thread.interrupted()) {
      throw new Interrupted();
    }
  }

  private void acquire() {
    try {
      limiter.acquire();
    } catch (InterruptedException e) {
      throw new Interrupted();
    }
  }

  // ---------------------------------------------------------------- table shape

  private String valueColumns() {
    StringBuilder sb = new StringBuilder(spec.column());
    for (String c : spec.contextColumns()) {
      sb.append(", ").append(c);
    }
    return sb.toString();
  }

  private void describeTable(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + spec.idColumn() + ", " + valueColumns() + " FROM " + spec.table()
            + " WHERE 1 = 0")) {
      ResultSetMetaData md = rs.getMetaData();
      int idType = md.getColumnType(1);
      if ("java.util.UUID".equals(md.getColumnClassName(1))) {
        idKind = IdKind.UUID;
      } else if (idType == Types.BIGINT || idType == Types.INTEGER || idType == Types.SMALLINT || idType == Types.TINYINT) {
        idKind = IdKind.LONG;
      } else if (isText(idType)) {
        idKind = IdKind.STRING;
      } else {
        throw new IllegalArgumentException("id column " + spec.idColumn() + " has type " + md.getColumnTypeName(1)
            + "; supported keys are integers, text and UUIDs");
      }
      int valueType = md.getColumnType(2);
      boolean binary = valueType == Types.BINARY || valueType == Types.VARBINARY || valueType == Types.LONGVARBINARY
          || valueType == Types.BLOB;
      if (!binary && !isText(valueType)) {
        throw new IllegalArgumentException("column " + spec.column() + " has type " + md.getColumnTypeName(2)
            + "; encrypted values live in binary (BLOB, BYTEA, VARBINARY) or text (base64) columns");
      }
      ValueEncoding wanted = spec.encoding();
      if (wanted == null) {
        encoding = binary ? ValueEncoding.BINARY : ValueEncoding.BASE64;
      } else if ((wanted == ValueEncoding.BINARY) != binary) {
        throw new IllegalArgumentException("encoding " + wanted + " does not fit column " + spec.column() + " of type "
            + md.getColumnTypeName(2));
      } else {
        encoding = wanted;
      }
    }
  }

  private static boolean isText(int type) {
    return type == Types.CHAR || type == Types.VARCHAR || type == Types.LONGVARCHAR || type == Types.NCHAR
        || type == Types.NVARCHAR || type == Types.LONGNVARCHAR || type == Types.CLOB || type == Types.NCLOB;
  }

  private long count(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM " + spec.table())) {
      rs.next();
      return rs.getLong(1);
    }
  }

  // ---------------------------------------------------------------- batches

  private BatchResult batchWithRetry(Connection c, Checkpoint cp, int n) throws SQLException {
    for (int attempt = 0;; attempt++) {
      try {
        return batch(c, cp, n);
      } catch (SQLException e) {
        c.rollback();
        if (!Sql.isTransient(e) || attempt >= MAX_BATCH_RETRIES || Thread.currentThread().isInterrupted()) {
          throw e;
        }
        try {
          // Deadlock or lock timeout against the application: back off, then redo the whole page.
          spec.sleeper().sleep(Duration.ofMillis(20L << attempt).toNanos());
        } catch (InterruptedException ie) {
          throw new Interrupted();
        }
      }
    }
  }

  private BatchResult batch(Connection c, Checkpoint cp, int n) throws SQLException {
    List<StoredRow> rows = page(c, cp, n);
    if (rows.isEmpty()) {
      c.rollback();
      return null;
    }
    Checkpoint.Counts counts = new Checkpoint.Counts();
    List<Map.Entry<Integer, RowFailure>> failures = new ArrayList<>();
    List<Integer> pending = new ArrayList<>();
    List<Object> newValues = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      StoredRow row = rows.get(i);
      acquire();
      checkInterrupted();
      counts.scanned++;
      Outcome o = handle(row);
      switch (o.kind()) {
        case CHANGED -> {
          if (spec.dryRun()) {
            counts.changed++;
          } else {
            pending.add(i);
            newValues.add(o.newValue());
          }
        }
        case CURRENT -> counts.skippedCurrent++;
        case EMPTY -> counts.skippedEmpty++;
        case FAILED -> {
          counts.failed++;
          failures.add(Map.entry(i, new RowFailure(row.idString(), o.reason())));
        }
      }
    }
    String lastId = rows.get(rows.size() - 1).idString();
    if (spec.dryRun()) {
      c.rollback();
      return new BatchResult(cp.plus(lastId, counts), rows.size(), failures.stream().map(Map.Entry::getValue).toList());
    }
    boolean[] written = compareAndSet(c, rows, pending, newValues);
    for (int k = 0; k < pending.size(); k++) {
      if (written[k]) {
        counts.changed++;
        continue;
      }
      int i = pending.get(k);
      counts.conflicts++;
      Outcome o = redo(c, rows.get(i));
      switch (o.kind()) {
        case CHANGED -> counts.changed++;
        case CURRENT -> counts.skippedCurrent++;
        case EMPTY -> counts.skippedEmpty++;
        case FAILED -> {
          counts.failed++;
          failures.add(Map.entry(i, new RowFailure(rows.get(i).idString(), o.reason())));
        }
      }
    }
    failures.sort(Comparator.comparingInt(Map.Entry::getKey));
    List<RowFailure> failed = failures.stream().map(Map.Entry::getValue).toList();
    Checkpoint next = cp.plus(lastId, counts);
    checkpoints.insertFailures(c, spec.jobId(), cp.failed(), failed);
    if (!checkpoints.advance(c, cp, next)) {
      throw new IllegalStateException("job " + spec.jobId() + " was advanced by another process; this run stops");
    }
    c.commit();
    return new BatchResult(next, rows.size(), failed);
  }

  /** Keyset pagination: rows after {@code lastId} in key order. Never OFFSET, so every page costs the same. */
  private List<StoredRow> page(Connection c, Checkpoint cp, int n) throws SQLException {
    String lastId = cp.lastId();
    String sql = "SELECT " + spec.idColumn() + ", " + valueColumns() + " FROM " + spec.table()
        + (lastId == null ? "" : " WHERE " + spec.idColumn() + " > ?")
        + " ORDER BY " + spec.idColumn() + " FETCH FIRST " + n + " ROWS ONLY";
    List<StoredRow> rows = new ArrayList<>(n);
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (lastId != null) {
        bindId(ps, 1, Checkpoints.lastKey(cp, idKind));
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Object id = readId(rs, 1);
          rows.add(new StoredRow(id, id.toString(), readValue(rs, 2), readContext(rs, 3)));
        }
      }
    }
    return rows;
  }

  private StoredRow reread(Connection c, StoredRow row) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT " + valueColumns() + " FROM " + spec.table() + " WHERE "
        + spec.idColumn() + " = ?")) {
      bindId(ps, 1, row.id());
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        return new StoredRow(row.id(), row.idString(), readValue(rs, 1), readContext(rs, 2));
      }
    }
  }

  private Object readId(ResultSet rs, int i) throws SQLException {
    Object id = switch (idKind) {
      case LONG -> {
        long v = rs.getLong(i);
        yield rs.wasNull() ? null : v;
      }
      case STRING -> rs.getString(i);
      case UUID -> rs.getObject(i, UUID.class);
    };
    if (id == null) {
      throw new IllegalArgumentException("id column " + spec.idColumn() + " holds NULL; the job needs a unique, non-null key");
    }
    return id;
  }

  private void bindId(PreparedStatement ps, int i, Object id) throws SQLException {
    switch (idKind) {
      case LONG -> ps.setLong(i, (Long) id);
      case STRING -> ps.setString(i, (String) id);
      case UUID -> ps.setObject(i, id);
    }
  }

  private Object readValue(ResultSet rs, int i) throws SQLException {
    return encoding == ValueEncoding.BINARY ? rs.getBytes(i) : rs.getString(i);
  }

  private void bindValue(PreparedStatement ps, int i, Object value) throws SQLException {
    if (value instanceof byte[] b) {
      ps.setBytes(i, b);
    } else {
      ps.setString(i, (String) value);
    }
  }

  private Map<String, String> readContext(ResultSet rs, int first) throws SQLException {
    List<String> cols = spec.contextColumns();
    if (cols.isEmpty()) {
      return Map.of();
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (int k = 0; k < cols.size(); k++) {
      m.put(cols.get(k), rs.getString(first + k));
    }
    return m;
  }

  // ---------------------------------------------------------------- one value

  private Outcome handle(StoredRow row) {
    if (row.stored() == null) {
      return Outcome.EMPTY;
    }
    byte[] raw;
    try {
      raw = decode(row.stored());
    } catch (IllegalArgumentException e) {
      return Outcome.failed(FailureReason.INVALID_ENCODING);
    }
    if (spec.transform().isCurrent(raw)) {
      return Outcome.CURRENT;
    }
    EncryptionContext ctx;
    try {
      ctx = spec.context().forRow(new Row(row.id(), row.contextColumns()));
    } catch (RuntimeException e) {
      return Outcome.failed(FailureReason.CONTEXT);
    }
    if (ctx == null) {
      return Outcome.failed(FailureReason.CONTEXT);
    }
    byte[] out;
    try {
      out = spec.transform().apply(raw, ctx);
    } catch (InvalidCiphertextException e) {
      return Outcome.failed(FailureReason.INVALID_CIPHERTEXT);
    } catch (KeyUnavailableException e) {
      return Outcome.failed(FailureReason.KEY_UNAVAILABLE);
    }
    return new Outcome(Kind.CHANGED, encode(out), null);
  }

  private byte[] decode(Object stored) {
    return switch (encoding) {
      case BINARY -> (byte[]) stored;
      // Either alphabet reads, so a column half-way from message values (standard base64) to
      // field values (URL-safe) migrates; writes use the configured one.
      case BASE64, BASE64_URL -> decodeBase64((String) stored);
    };
  }

  private static byte[] decodeBase64(String s) {
    boolean url = s.indexOf('-') >= 0 || s.indexOf('_') >= 0;
    return (url ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(s);
  }

  private Object encode(byte[] raw) {
    return switch (encoding) {
      case BINARY -> raw;
      case BASE64 -> Base64.getEncoder().encodeToString(raw);
      case BASE64_URL -> Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    };
  }

  private static boolean sameValue(Object a, Object b) {
    if (a instanceof byte[] x && b instanceof byte[] y) {
      return Arrays.equals(x, y);
    }
    return a != null && a.equals(b);
  }

  // ---------------------------------------------------------------- compare-and-set

  private String casSql() {
    return "UPDATE " + spec.table() + " SET " + spec.column() + " = ? WHERE " + spec.idColumn() + " = ? AND "
        + spec.column() + " = ?";
  }

  /**
   * Writes each new value only where the column still holds the value it was computed from; on
   * PostgreSQL a concurrent committed update makes the WHERE re-check against the new row version.
   */
  private boolean[] compareAndSet(Connection c, List<StoredRow> rows, List<Integer> pending, List<Object> newValues)
      throws SQLException {
    boolean[] ok = new boolean[pending.size()];
    if (pending.isEmpty()) {
      return ok;
    }
    int[] counts;
    try (PreparedStatement ps = c.prepareStatement(casSql())) {
      for (int k = 0; k < pending.size(); k++) {
        StoredRow row = rows.get(pending.get(k));
        bindValue(ps, 1, newValues.get(k));
        bindId(ps, 2, row.id());
        bindValue(ps, 3, row.stored());
        ps.addBatch();
      }
      counts = ps.executeBatch();
    }
    for (int k = 0; k < ok.length; k++) {
      int n = counts[k];
      if (n == Statement.SUCCESS_NO_INFO) {
        // The driver did not say; the row lock is ours now, so a read tells.
        StoredRow now = reread(c, rows.get(pending.get(k)));
        ok[k] = now != null && sameValue(now.stored(), newValues.get(k));
      } else if (n > 1) {
        throw new IllegalArgumentException("id column " + spec.idColumn() + " is not unique");
      } else {
        ok[k] = n == 1;
      }
    }
    return ok;
  }

  private boolean compareAndSetOne(Connection c, StoredRow row, Object newValue) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(casSql())) {
      bindValue(ps, 1, newValue);
      bindId(ps, 2, row.id());
      bindValue(ps, 3, row.stored());
      int n = ps.executeUpdate();
      if (n > 1) {
        throw new IllegalArgumentException("id column " + spec.idColumn() + " is not unique");
      }
      return n == 1;
    }
  }

  /** The application changed the row after the page was read: read it again and start over. */
  private Outcome redo(Connection c, StoredRow original) throws SQLException {
    for (int attempt = 0; attempt < spec.maxConflictRetries(); attempt++) {
      acquire();
      checkInterrupted();
      StoredRow fresh = reread(c, original);
      if (fresh == null) {
        return Outcome.EMPTY;
      }
      Outcome o = handle(fresh);
      if (o.kind() != Kind.CHANGED) {
        return o;
      }
      if (compareAndSetOne(c, fresh, o.newValue())) {
        return o;
      }
    }
    return Outcome.failed(FailureReason.CONFLICT);
  }

  // ---------------------------------------------------------------- reporting

  private Progress progress(Checkpoint cp, long total, long runScanned, long started) {
    long elapsedNanos = Math.max(0, spec.ticker().read() - started);
    double rps = elapsedNanos > 0 ? runScanned * 1e9 / elapsedNanos : 0;
    Duration eta = null;
    if (total >= 0 && rps > 0) {
      long remaining = Math.max(0, total - cp.scanned());
      if (spec.limit() > 0) {
        remaining = Math.min(remaining, spec.limit() - runScanned);
      }
      eta = Duration.ofNanos((long) (remaining / rps * 1e9));
    }
    return new Progress(cp.jobId(), cp.scanned(), cp.changed(), cp.skippedCurrent(), cp.skippedEmpty(), cp.conflicts(),
        cp.failed(), total, rps, Duration.ofNanos(elapsedNanos), eta);
  }

  private RotationReport report(Connection c, Checkpoint cp, long started, List<RowFailure> dryFailures)
      throws SQLException {
    List<RowFailure> failures;
    if (spec.dryRun()) {
      failures = dryFailures;
    } else {
      failures = checkpoints.failures(c, cp.jobId(), spec.maxReportedFailures());
      c.rollback();
    }
    return new RotationReport(cp.jobId(), cp.state(), spec.dryRun(), cp.scanned(), cp.changed(), cp.skippedCurrent(),
        cp.skippedEmpty(), cp.conflicts(), cp.failed(), failures,
        Duration.ofNanos(Math.max(0, spec.ticker().read() - started)));
  }
}
