package dev.envelope.cli;

import dev.envelope.core.BlindIndex;
import dev.envelope.core.DataKeyCache;
import dev.envelope.core.FieldEncryptor;
import dev.envelope.core.JdbcDataKeyStore;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.LocalKeyStore;
import dev.envelope.core.LocalMasterKey;
import dev.envelope.core.MessageInfo;
import dev.envelope.rotation.ReencryptJob;
import dev.envelope.rotation.RotationListener;
import dev.envelope.rotation.RotationReport;
import dev.envelope.secrets.CachingSecrets;
import dev.envelope.secrets.DbCredentials;
import dev.envelope.secrets.InMemorySecretStore;
import dev.envelope.secrets.RotatingDataSource;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretValue;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = "Run the whole story on the embedded default (local key file, temp directory): "
        + "encrypt, inspect, stream, rotate, old ciphertext still decrypting.")
final class DemoCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Option(names = "--keep", description = "Keep the temp directory and print its path.")
  boolean keep;

  private PrintWriter out;
  private int step;

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    Path dir = Files.createTempDirectory("envelope-demo-");
    try {
      run(dir);
      out.println();
      out.println("Demo finished: every step above was checked, nothing was faked.");
      return 0;
    } finally {
      if (keep) {
        out.println("Files kept in " + dir);
      } else {
        try (Stream<Path> s = Files.walk(dir)) {
          s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  private void title(String text) {
    out.println();
    out.println(++step + ". " + text);
  }

  private static void check(boolean ok, String what) {
    if (!ok) {
      throw new IllegalStateException("demo check failed: " + what);
    }
  }

  private void run(Path dir) throws Exception {
    Path keyfile = dir.resolve("demo.keys");
    out.println("Envelope demo in " + dir + " (embedded default: a local key file)");

    title("Create a key file with master key 'orders'");
    LocalKeyStore store = LocalKeyStore.create(keyfile, null);
    store.createKey("orders");
    out.println("   " + keyfile.getFileName() + ": key 'orders' version 1"
        + (store.isEncrypted() ? " (encrypted with ENVELOPE_PASSPHRASE)" : " (plain file: the demo needs no passphrase)"));

    EncryptionContext ctx = EncryptionContext.of("tenant", "acme", "purpose", "invoice");
    byte[] invoice = "Invoice #1042: 3 widgets, EUR 99.00".getBytes(StandardCharsets.UTF_8);
    LocalMasterKey v1 = store.masterKey("orders");
    byte[] oldCiphertext;
    DataKeyCache cache = DataKeyCache.builder().build();
    try (Envelope env = Envelope.builder().masterKeys(v1).dataKeyCache(cache).build()) {
      title("Encrypt a message bound to context " + ctx.asMap());
      oldCiphertext = env.encrypt(invoice, ctx);
      out.println("   " + invoice.length + " bytes of plaintext -> " + oldCiphertext.length + " bytes of ciphertext");
      byte[] back = env.decrypt(oldCiphertext, ctx);
      check(MessageDigest.isEqual(back, invoice), "round trip");
      out.println("   decrypted with the same context: \"" + new String(back, StandardCharsets.UTF_8) + "\"");
      try {
        env.decrypt(oldCiphertext, EncryptionContext.of("tenant", "evil-corp", "purpose", "invoice"));
        check(false, "wrong context must fail");
      } catch (InvalidCiphertextException expected) {
        out.println("   decrypt with tenant=evil-corp: rejected (" + expected.getClass().getSimpleName() + ")");
      }
      byte[] tampered = oldCiphertext.clone();
      tampered[tampered.length - 3] ^= 1;
      try {
        env.decrypt(tampered, ctx);
        check(false, "tampered ciphertext must fail");
      } catch (InvalidCiphertextException expected) {
        out.println("   one flipped bit: rejected (" + expected.getClass().getSimpleName() + ")");
      }
      for (int i = 0; i < 1000; i++) {
        env.encrypt(invoice, ctx);
      }
      out.println("   1000 more messages with the data-key cache: " + cache.stats().misses()
          + " master-key call(s) in total, " + cache.stats().hits() + " cache hits");

      title("What 'envelope inspect' sees (no secrets)");
      MessageInfo info = Envelope.inspect(oldCiphertext);
      out.println("   suite " + info.suiteName() + ", message id " + info.messageId());
      out.println("   context " + info.context().asMap());
      info.keys().forEach(k -> out.println("   wrapped by " + k.provider() + ":" + k.keyId() + " version " + k.version()));

      title("Stream 8 MiB through encryptingStream / decryptingStream (64 KiB segments, constant memory)");
      byte[] big = new byte[8 << 20];
      new Random(7).nextBytes(big);
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      try (OutputStream enc = env.encryptingStream(sink, ctx)) {
        new ByteArrayInputStream(big).transferTo(enc);
      }
      byte[] streamed = sink.toByteArray();
      try (InputStream dec = env.decryptingStream(new ByteArrayInputStream(streamed), ctx)) {
        byte[] roundTrip = dec.readAllBytes();
        check(sha(roundTrip).equals(sha(big)), "stream round trip");
      }
      out.println("   " + big.length + " bytes -> " + streamed.length + " bytes ("
          + (streamed.length - big.length) + " bytes of header and tags); SHA-256 of the round trip matches");
    }

    String dbUrl = "jdbc:h2:mem:envelope-demo-fields-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1";
    org.h2.jdbcx.JdbcDataSource db = new org.h2.jdbcx.JdbcDataSource();
    db.setURL(dbUrl);
    db.setUser("sa");
    db.setPassword("");
    FieldEncryptor fields = FieldEncryptor.builder().masterKey(v1).dataKeyStore(JdbcDataKeyStore.create(db)).build();
    fieldsPart(db, fields);

    title("Rotate master key 'orders' (new version becomes primary)");
    int version = store.rotate("orders");
    LocalMasterKey v2 = store.masterKey("orders");
    out.println("   'orders' is now at version " + version);
    try (Envelope env = Envelope.builder().masterKeys(v2).build()) {
      byte[] back = env.decrypt(oldCiphertext, ctx);
      check(MessageDigest.isEqual(back, invoice), "old ciphertext after rotation");
      out.println("   the message encrypted before rotation still decrypts (it names version "
          + Envelope.inspect(oldCiphertext).keys().get(0).version() + ")");
      byte[] fresh = env.encrypt(invoice, ctx);
      String newVersion = Envelope.inspect(fresh).keys().get(0).version();
      check(newVersion.equals(Integer.toString(version)), "new ciphertext uses the new version");
      out.println("   a new message is wrapped under version " + newVersion);
      byte[] rewrapped = env.rewrap(oldCiphertext, ctx);
      check(Envelope.inspect(rewrapped).keys().get(0).version().equals(Integer.toString(version)), "rewrap");
      check(MessageDigest.isEqual(env.decrypt(rewrapped, ctx), invoice), "rewrapped decrypts");
      out.println("   the old message rewrapped to version " + version + " without re-encrypting its body");
    }

    long rewrapped = fields.rewrapDataKeys(v2);
    out.println("   the data-key table: " + rewrapped + " row(s) rewrapped under version " + version
        + "; no column value was touched");
    check(readSsn(db, fields, 2).equals("987-65-4321"), "field read after rewrap");
    out.println("   reading users.ssn for id 2 after the rewrap: " + readSsn(db, fields, 2));
    fields.close();
    reencryptPart(db, v1, store);

    secretsPart();
  }

  private static EncryptionContext fieldContext(long id, String column) {
    return EncryptionContext.of("table", "users", "column", column, "id", Long.toString(id));
  }

  private static byte[] normalizedEmail(String email) {
    return email.strip().toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.UTF_8);
  }

  /** Field-level encryption of a users table on embedded H2: compact values, blind index, context binding. */
  private void fieldsPart(javax.sql.DataSource db, FieldEncryptor fields) throws Exception {
    title("Encrypt database columns (field format) in an embedded H2 users table");
    BlindIndex byEmail = fields.blindIndex("users.email", 16);
    try (java.sql.Connection c = db.getConnection(); java.sql.Statement s = c.createStatement()) {
      s.execute("CREATE TABLE users (id BIGINT PRIMARY KEY, email VARCHAR(400), email_idx CHAR(22), ssn VARCHAR(100))");
      String[][] rows = {{"1", "ann@example.com", "123-45-6789"}, {"2", "bob@example.com", "987-65-4321"},
          {"3", "carol@example.com", "555-12-3456"}};
      try (java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO users VALUES (?, ?, ?, ?)")) {
        for (String[] r : rows) {
          long id = Long.parseLong(r[0]);
          ps.setLong(1, id);
          ps.setString(2, fields.encryptToString(r[1].getBytes(StandardCharsets.UTF_8), fieldContext(id, "email")));
          ps.setString(3, byEmail.computeToString(normalizedEmail(r[1])));
          ps.setString(4, fields.encryptToString(r[2].getBytes(StandardCharsets.UTF_8), fieldContext(id, "ssn")));
          ps.executeUpdate();
        }
      }
      out.println("   inserted 3 users; email and ssn encrypted (" + FieldEncryptor.OVERHEAD
          + " bytes of overhead per value), email also blind-indexed");
      try (java.sql.ResultSet rs = s.executeQuery("SELECT ssn, email_idx FROM users WHERE id = 2")) {
        rs.next();
        out.println("   stored ssn for id 2:   " + rs.getString(1));
        out.println("   stored email_idx:      " + rs.getString(2));
      }
      try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT id FROM users WHERE email_idx = ?")) {
        ps.setString(1, byEmail.computeToString(normalizedEmail(" Bob@Example.com")));
        try (java.sql.ResultSet rs = ps.executeQuery()) {
          check(rs.next() && rs.getLong(1) == 2, "blind index lookup");
        }
      }
      out.println("   WHERE email_idx = index(' Bob@Example.com') finds id 2; its ssn decrypts to " + readSsn(db, fields, 2));
      s.executeUpdate("UPDATE users SET ssn = (SELECT ssn FROM users WHERE id = 1) WHERE id = 3");
      try {
        readSsn(db, fields, 3);
        check(false, "a value copied to another row must not decrypt");
      } catch (InvalidCiphertextException expected) {
        out.println("   ann's ssn copied into carol's row: rejected (" + expected.getClass().getSimpleName()
            + "), the context binds each value to its row and column");
      }
      s.executeUpdate("UPDATE users SET ssn = " + "'" + fields.encryptToString(
          "555-12-3456".getBytes(StandardCharsets.UTF_8), fieldContext(3, "ssn")) + "' WHERE id = 3");
    }
  }

  private static String readSsn(javax.sql.DataSource db, FieldEncryptor fields, long id) throws java.sql.SQLException {
    try (java.sql.Connection c = db.getConnection();
        java.sql.PreparedStatement ps = c.prepareStatement("SELECT ssn FROM users WHERE id = ?")) {
      ps.setLong(1, id);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        rs.next();
        return new String(fields.decryptFromString(rs.getString(1), fieldContext(id, "ssn")), StandardCharsets.UTF_8);
      }
    }
  }

  /**
   * Re-encrypts a column of a few thousand rows from the old master key to a new one, with a
   * reader hitting the table the whole time.
   */
  private void reencryptPart(javax.sql.DataSource db, LocalMasterKey oldKey, LocalKeyStore store) throws Exception {
    title("Re-encrypt a 3,000-row column to a new master key while the application keeps reading");
    int rows = 3000;
    try (Envelope before = Envelope.builder().masterKeys(oldKey).dataKeyCache(DataKeyCache.builder().build()).build();
        java.sql.Connection c = db.getConnection()) {
      try (java.sql.Statement s = c.createStatement()) {
        s.execute("CREATE TABLE documents (id BIGINT PRIMARY KEY, body VARBINARY(1000))");
      }
      c.setAutoCommit(false);
      try (java.sql.PreparedStatement ps = c.prepareStatement("INSERT INTO documents VALUES (?, ?)")) {
        for (int id = 1; id <= rows; id++) {
          ps.setLong(1, id);
          ps.setBytes(2, before.encrypt(("document " + id).getBytes(StandardCharsets.UTF_8), documentContext(id)));
          ps.addBatch();
        }
        ps.executeBatch();
      }
      c.commit();
      c.setAutoCommit(true);
    }
    out.println("   documents.body: " + rows + " rows encrypted under 'orders' version 1 (message format)");
    store.createKey("archive");
    LocalMasterKey newKey = store.masterKey("archive");
    try (Envelope from = Envelope.builder().masterKeys(oldKey).dataKeyCache(DataKeyCache.builder().build()).build();
        Envelope to = Envelope.builder().masterKeys(newKey).dataKeyCache(DataKeyCache.builder().build()).build();
        Envelope reader = Envelope.builder().masterKeys(newKey).alsoDecryptWith(oldKey).build()) {
      java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
      java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
      java.util.concurrent.atomic.AtomicLong readFailures = new java.util.concurrent.atomic.AtomicLong();
      Thread app = new Thread(() -> {
        java.util.Random random = new java.util.Random(1);
        while (running.get()) {
          long id = 1 + random.nextInt(rows);
          try (java.sql.Connection c = db.getConnection();
              java.sql.PreparedStatement ps = c.prepareStatement("SELECT body FROM documents WHERE id = ?")) {
            ps.setLong(1, id);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
              rs.next();
              String body = new String(reader.decrypt(rs.getBytes(1), documentContext(id)), StandardCharsets.UTF_8);
              if (!body.equals("document " + id)) {
                readFailures.incrementAndGet();
              }
            }
            reads.incrementAndGet();
          } catch (Exception e) {
            readFailures.incrementAndGet();
          }
        }
      }, "demo-reader");
      app.start();
      int[] shown = {0};
      RotationReport report;
      try {
        report = ReencryptJob.builder()
            .dataSource(db).table("documents").idColumn("id").column("body")
            .context(row -> documentContext(Long.parseLong(row.idString())))
            .from(from).to(to).batchSize(250)
            .jobId("demo-documents")
            .build()
            .run(RotationListener.onProgress(p -> {
              int pct = (int) p.percent();
              if (pct >= shown[0] + 25 || p.scanned() == rows) {
                shown[0] = pct - pct % 25;
                out.printf("   [%-20s] %3d%%  %,d rows  %.0f rows/s%n", "#".repeat(Math.max(0, pct / 5)), pct,
                    p.scanned(), p.rowsPerSecond());
              }
            }));
      } finally {
        running.set(false);
        app.join();
      }
      check(report.succeeded() && report.changed() == rows, "re-encryption report");
      check(readFailures.get() == 0 && reads.get() > 0, "reads during the job");
      out.println("   report: scanned " + report.scanned() + ", changed " + report.changed() + ", failed "
          + report.failed() + "; the application read " + reads.get() + " rows meanwhile, 0 failures");
      try (java.sql.Connection c = db.getConnection(); java.sql.Statement s = c.createStatement();
          java.sql.ResultSet rs = s.executeQuery("SELECT id, body FROM documents")) {
        int underNew = 0;
        while (rs.next()) {
          byte[] body = rs.getBytes(2);
          if (Envelope.inspect(body).keys().get(0).keyId().equals("archive")) {
            to.decrypt(body, documentContext(rs.getLong(1)));
            underNew++;
          }
        }
        check(underNew == rows, "every row under the new key");
        out.println("   every row now decrypts with 'archive' alone (" + underNew + " of " + rows + ")");
      }
    }
  }

  private static EncryptionContext documentContext(long id) {
    return EncryptionContext.of("table", "documents", "id", Long.toString(id));
  }

  /** A database password rotating under a running DataSource, on an embedded H2 database. */
  private void secretsPart() throws Exception {
    title("Rotate a database password under a running DataSource (secrets, embedded H2)");
    String url = "jdbc:h2:mem:envelope-demo-secrets-" + System.nanoTime() + ";DB_CLOSE_DELAY=-1";
    try (java.sql.Connection admin = java.sql.DriverManager.getConnection(url, "sa", "sa-demo");
        java.sql.Statement st = admin.createStatement()) {
      st.execute("CREATE USER APP PASSWORD 'first-password' ADMIN");
      InMemorySecretStore store = SecretStore.inMemory();
      store.put("prod/db", "{\"username\":\"APP\",\"password\":\"first-password\",\"engine\":\"h2\"}");
      try (CachingSecrets secrets = CachingSecrets.builder().store(store).ttl(java.time.Duration.ofMinutes(5)).build()) {
        java.util.concurrent.atomic.AtomicInteger changes = new java.util.concurrent.atomic.AtomicInteger();
        secrets.onChange("prod/db", (before, now) -> changes.incrementAndGet());
        SecretValue current = secrets.get("prod/db");
        out.println("   secret prod/db, version " + current.versionId() + " " + current.stages()
            + "; its toString() is redacted: " + current);
        RotatingDataSource ds = RotatingDataSource.builder().secrets(secrets).secretName("prod/db").jdbcUrl(url).build();
        check(query(ds) == 1, "query before rotation");
        out.println("   a connection as " + current.asJson(DbCredentials.class).username() + ": SELECT 1 works");
        try (java.sql.Connection held = ds.getConnection()) {
          String pending = store.putPending("prod/db",
              "{\"username\":\"APP\",\"password\":\"second-password\",\"engine\":\"h2\"}");
          st.execute("ALTER USER APP SET PASSWORD 'second-password'");
          out.println("   rotation: new version " + pending + " staged AWSPENDING, database password changed");
          check(query(ds) == 1, "query during the rotation window");
          out.println("   during the rotation window a new connection still opens (old password rejected,"
              + " the DataSource refreshed and tried the pending version)");
          store.promote("prod/db", pending);
          secrets.refreshNow("prod/db");
          check(query(ds) == 1, "query after promotion");
          check(changes.get() >= 1, "change listener");
          out.println("   promoted to AWSCURRENT: new connections use it; change listener fired " + changes.get() + " time(s)");
          try (java.sql.Statement h = held.createStatement(); java.sql.ResultSet rs = h.executeQuery("SELECT 1")) {
            check(rs.next(), "held connection");
          }
          out.println("   a connection opened before the rotation kept working throughout");
        }
      }
    }
  }

  private static int query(javax.sql.DataSource ds) throws java.sql.SQLException {
    try (java.sql.Connection c = ds.getConnection(); java.sql.Statement s = c.createStatement();
        java.sql.ResultSet rs = s.executeQuery("SELECT 1")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  private static String sha(byte[] b) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
  }
}
