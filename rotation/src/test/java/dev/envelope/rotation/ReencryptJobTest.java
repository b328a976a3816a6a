package dev.envelope.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.InvalidCiphertextException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

class ReencryptJobTest {
  static Stream<Arguments> dbAndEncoding() {
    return Stream.of(Arguments.of(Db.H2, false), Arguments.of(Db.H2, true), Arguments.of(Db.POSTGRES, false),
        Arguments.of(Db.POSTGRES, true));
  }

  @ParameterizedTest(name = "{0} text={1}")
  @MethodSource("dbAndEncoding")
  void run_oldValues_everyRowDecryptsUnderNewKeyOnly(Db db, boolean text) throws Exception {
    try (Fixture f = Fixture.create(db, text, 1234)) {
      RotationReport r = f.reencrypt().jobId("all").build().run();

      assertThat(r.state()).isEqualTo(JobState.COMPLETED);
      assertThat(r.succeeded()).isTrue();
      assertThat(r.scanned()).isEqualTo(1234);
      assertThat(r.changed()).isEqualTo(1234);
      assertThat(r.skippedCurrent() + r.skippedEmpty() + r.failed() + r.conflictsRedone()).isZero();
      Envelope newOnly = f.newEnv;
      for (Map.Entry<Long, byte[]> e : f.snapshot().entrySet()) {
        long id = e.getKey();
        assertThat(newOnly.decrypt(e.getValue(), Fixture.ctx(id))).isEqualTo(Fixture.plaintext(id, 0));
        assertThatThrownBy(() -> f.oldEnv.decrypt(e.getValue(), Fixture.ctx(id)))
            .isInstanceOf(dev.envelope.core.KeyUnavailableException.class);
      }
      assertThat(f.checkpoint("all")).containsEntry("state", "COMPLETED").containsEntry("scanned", 1234L)
          .containsEntry("changed", 1234L).containsEntry("last_id", "1234");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_secondJobAfterFirst_changesNothingAndCallsNoKey(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 300)) {
      f.reencrypt().build().run();
      Map<Long, byte[]> before = f.snapshot();
      int unwrapsBefore = f.oldKey.unwraps.get() + f.newKey.unwraps.get();

      RotationReport again = f.reencrypt().build().run();

      assertThat(again.skippedCurrent()).isEqualTo(300);
      assertThat(again.changed()).isZero();
      assertThat(f.oldKey.unwraps.get() + f.newKey.unwraps.get()).isEqualTo(unwrapsBefore);
      assertThat(f.snapshot()).containsExactlyEntriesOf(before);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_completedJobRunAgain_returnsStoredReportWithoutScanning(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 150)) {
      RotationReport first = f.reencrypt().jobId("done").build().run();
      f.insert(1000, 10); // new old-key rows after completion are not the finished job's business

      RotationReport again = f.reencrypt().resume("done").build().run();

      assertThat(again.state()).isEqualTo(JobState.COMPLETED);
      assertThat(again.scanned()).isEqualTo(first.scanned()).isEqualTo(150);
      assertThat(f.oldEnv.decrypt(f.read(1005), Fixture.ctx(1005))).isEqualTo(Fixture.plaintext(1005, 0));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_dryRun_writesNothingNotEvenACheckpoint(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 250)) {
      f.reencrypt().build().run(); // all current now
      f.insert(1000, 40); // 40 old rows
      f.write(5, new byte[] {1, 2, 3}); // corrupt
      f.write(6, null);
      Map<Long, byte[]> before = f.snapshot();
      String otherCheckpoints = Db.uniqueName("ckpt_dry");

      RotationReport dry = f.reencrypt().checkpointTable(otherCheckpoints).dryRun(true).build().run();

      assertThat(dry.dryRun()).isTrue();
      assertThat(dry.scanned()).isEqualTo(290);
      assertThat(dry.changed()).isEqualTo(40);
      assertThat(dry.skippedCurrent()).isEqualTo(248);
      assertThat(dry.skippedEmpty()).isEqualTo(1);
      assertThat(dry.failures()).containsExactly(new RowFailure("5", FailureReason.INVALID_CIPHERTEXT));
      assertThat(f.snapshot()).containsExactlyEntriesOf(before);
      assertThat(f.tableExists(otherCheckpoints)).isFalse();
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_limit_pausesThenResumeFinishes(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 500)) {
      RotationReport first = f.reencrypt().jobId("lim").batchSize(64).limit(130).build().run();

      assertThat(first.state()).isEqualTo(JobState.PAUSED);
      assertThat(first.scanned()).isEqualTo(130);
      assertThat(f.checkpoint("lim")).containsEntry("state", "PAUSED").containsEntry("last_id", "130");
      assertThat(f.oldEnv.decrypt(f.read(131), Fixture.ctx(131))).isEqualTo(Fixture.plaintext(131, 0));

      RotationReport rest = f.reencrypt().resume("lim").batchSize(64).build().run();

      assertThat(rest.state()).isEqualTo(JobState.COMPLETED);
      assertThat(rest.scanned()).isEqualTo(500);
      assertThat(rest.changed()).isEqualTo(500);
    }
  }

  @ParameterizedTest(name = "{0} text={1}")
  @MethodSource("dbAndEncoding")
  void run_corruptRows_reportedUntouchedAndTheRestMigrated(Db db, boolean text) throws Exception {
    try (Fixture f = Fixture.create(db, text, 400)) {
      byte[] flipped = f.read(10).clone();
      flipped[flipped.length - 5] ^= 1;
      f.write(10, flipped);
      f.write(20, new byte[] {9, 9, 9});
      f.write(30, f.oldEnv.encrypt(Fixture.plaintext(30, 0), Fixture.ctx(31))); // copied from another row
      TestKey stranger = TestKey.create("stranger");
      try (Envelope s = Envelope.builder().masterKeys(stranger).build()) {
        f.write(40, s.encrypt(Fixture.plaintext(40, 0), Fixture.ctx(40)));
      }
      f.write(50, null);
      if (text) {
        try (Connection c = f.ds.getConnection(); Statement st = c.createStatement()) {
          st.executeUpdate("UPDATE " + f.table + " SET v = 'not base64!' WHERE id = 60");
        }
      }
      Map<Long, byte[]> before = text ? null : f.snapshot();
      List<RowFailure> heard = new ArrayList<>();

      RotationReport r = f.reencrypt().jobId("bad").batchSize(37).build().run(new RotationListener() {
        @Override
        public void onRowFailed(RowFailure failure) {
          heard.add(failure);
        }
      });

      List<RowFailure> expected = new ArrayList<>(List.of(
          new RowFailure("10", FailureReason.INVALID_CIPHERTEXT),
          new RowFailure("20", FailureReason.INVALID_CIPHERTEXT),
          new RowFailure("30", FailureReason.INVALID_CIPHERTEXT),
          new RowFailure("40", FailureReason.KEY_UNAVAILABLE)));
      if (text) {
        expected.add(new RowFailure("60", FailureReason.INVALID_ENCODING));
      }
      assertThat(r.state()).isEqualTo(JobState.COMPLETED);
      assertThat(r.succeeded()).isFalse();
      assertThat(r.failures()).containsExactlyElementsOf(expected);
      assertThat(heard).containsExactlyElementsOf(expected);
      assertThat(r.failed()).isEqualTo(expected.size());
      assertThat(r.skippedEmpty()).isEqualTo(1);
      assertThat(r.changed()).isEqualTo(400 - 1 - expected.size());
      assertThat(r.toString()).doesNotContain("ssn-");
      if (!text) {
        Map<Long, byte[]> after = f.snapshot();
        for (long id : new long[] {10, 20, 30, 40}) {
          assertThat(after.get(id)).isEqualTo(before.get(id));
        }
      }
      assertThat(f.newEnv.decrypt(f.read(11), Fixture.ctx(11))).isEqualTo(Fixture.plaintext(11, 0));
      assertThat(f.checkpoint("bad")).containsEntry("failed", (long) expected.size());
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_rowChangedBetweenReadAndWrite_isReReadNotOverwritten(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 60)) {
      // While the job decrypts row 7 (read already done), the application writes row 7 under the
      // OLD key and row 8 under the NEW key, and commits.
      ValueCipher from = ValueCipher.of(f.oldEnv);
      ValueCipher hooked = new ValueCipher() {
        boolean fired;

        @Override
        public byte[] decrypt(byte[] value, EncryptionContext context) {
          if (!fired && "7".equals(context.get("id"))) {
            fired = true;
            try {
              f.write(7, f.oldEnv.encrypt(Fixture.plaintext(7, 1), Fixture.ctx(7)));
              f.write(8, f.newEnv.encrypt(Fixture.plaintext(8, 1), Fixture.ctx(8)));
            } catch (java.sql.SQLException e) {
              throw new IllegalStateException(e);
            }
          }
          return from.decrypt(value, context);
        }

        @Override
        public byte[] encrypt(byte[] plaintext, EncryptionContext context) {
          throw new UnsupportedOperationException();
        }

        @Override
        public boolean isCurrent(byte[] value) {
          return false;
        }
      };

      RotationReport r = f.reencrypt().from(hooked).batchSize(20).build().run();

      assertThat(r.conflictsRedone()).isEqualTo(2);
      assertThat(r.changed()).isEqualTo(59);
      assertThat(r.skippedCurrent()).isEqualTo(1); // row 8, which the application wrote under the new key
      assertThat(f.newEnv.decrypt(f.read(7), Fixture.ctx(7))).isEqualTo(Fixture.plaintext(7, 1));
      assertThat(f.newEnv.decrypt(f.read(8), Fixture.ctx(8))).isEqualTo(Fixture.plaintext(8, 1));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_contextTemplateWithColumn_usesTheColumn(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 0)) {
      try (Connection c = f.ds.getConnection();
          PreparedStatement ps = c.prepareStatement("INSERT INTO " + f.table + " (id, v, tenant) VALUES (?, ?, ?)")) {
        for (long id = 1; id <= 30; id++) {
          ps.setLong(1, id);
          ps.setBytes(2, f.oldEnv.encrypt(Fixture.plaintext(id, 0), EncryptionContext.of("t", "u" + id % 2, "id", "#" + id)));
          ps.setString(3, id == 30 ? null : "u" + id % 2);
          ps.executeUpdate();
        }
      }

      RotationReport r = f.reencrypt().context(RowContext.template("t={tenant},id=#{id}")).build().run();

      assertThat(r.changed()).isEqualTo(29);
      assertThat(r.failures()).containsExactly(new RowFailure("30", FailureReason.CONTEXT));
      assertThat(f.newEnv.decrypt(f.read(3), EncryptionContext.of("t", "u1", "id", "#3")))
          .isEqualTo(Fixture.plaintext(3, 0));
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_textAndUuidKeys_paginateInKeyOrder(Db db) throws Exception {
    var ds = db.dataSource();
    String table = Db.uniqueName("keys");
    String ckpt = Db.uniqueName("ckpt");
    TestKey k1 = TestKey.create("a");
    TestKey k2 = TestKey.create("b");
    try (Envelope e1 = Envelope.builder().masterKeys(k1).build();
        Envelope e2 = Envelope.builder().masterKeys(k2).build()) {
      for (String idType : List.of("VARCHAR(40)", "UUID")) {
        Db.dropQuietly(ds, table, ckpt, ckpt + "_failures");
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
          s.execute("CREATE TABLE " + table + " (k " + idType + " PRIMARY KEY, v " + db.binaryType() + ")");
          try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " VALUES (?, ?)")) {
            for (int i = 0; i < 75; i++) {
              Object key = idType.equals("UUID") ? UUID.randomUUID() : "key-" + i;
              ps.setObject(1, key);
              ps.setBytes(2, e1.encrypt(("v" + i).getBytes(StandardCharsets.UTF_8), EncryptionContext.of("k", key.toString())));
              ps.executeUpdate();
            }
          }
        }
        RotationReport r = ReencryptJob.builder().dataSource(ds).table(table).idColumn("k").column("v")
            .context(row -> EncryptionContext.of("k", row.idString())).from(e1).to(e2).checkpointTable(ckpt)
            .batchSize(10).build().run();
        assertThat(r.changed()).as(idType).isEqualTo(75);
        assertThat(r.failed()).isZero();
      }
    } finally {
      Db.dropQuietly(ds, table, ckpt, ckpt + "_failures");
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_progressListener_seesMonotonicCountsAndEta(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 1000)) {
      List<Progress> seen = new ArrayList<>();
      RotationReport[] finished = new RotationReport[1];
      f.reencrypt().batchSize(100).build().run(new RotationListener() {
        @Override
        public void onStart(Progress p) {
          seen.add(p);
        }

        @Override
        public void onProgress(Progress p) {
          seen.add(p);
        }

        @Override
        public void onFinish(RotationReport report) {
          finished[0] = report;
        }
      });
      assertThat(seen).hasSize(11);
      assertThat(seen.get(0).scanned()).isZero();
      assertThat(seen.get(0).estimatedTotal()).isEqualTo(1000);
      for (int i = 1; i < seen.size(); i++) {
        assertThat(seen.get(i).scanned()).isEqualTo(100L * i);
        assertThat(seen.get(i).rowsPerSecond()).isPositive();
        assertThat(seen.get(i).eta()).isNotNull();
      }
      assertThat(seen.get(10).percent()).isEqualTo(100.0);
      assertThat(seen.get(10).eta()).isZero();
      assertThat(finished[0].changed()).isEqualTo(1000);
    }
  }

  @Test
  void listener_onProgress_seesStartAndEveryBatch() throws Exception {
    try (Fixture f = Fixture.create(Db.H2, false, 250)) {
      List<Long> scanned = new ArrayList<>();
      f.reencrypt().batchSize(100).build().run(RotationListener.onProgress(p -> scanned.add(p.scanned())));
      assertThat(scanned).containsExactly(0L, 100L, 200L, 250L);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void resume_jobOfAnotherColumn_isRefused(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 10)) {
      f.reencrypt().jobId("j1").limit(5).build().run();
      assertThatThrownBy(() -> f.reencrypt().resume("j1").column("tenant").build().run())
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a reencrypt job on");
      assertThatThrownBy(() -> f.reencrypt().resume("nope").build().run())
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no checkpoint for job nope");
    }
  }

  @Test
  void run_encodingThatDoesNotFitTheColumn_isRefused() throws Exception {
    try (Fixture f = Fixture.create(Db.H2, false, 3)) {
      assertThatThrownBy(() -> f.reencrypt().encoding(ValueEncoding.BASE64).build().run())
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("does not fit");
    }
  }

  @Test
  void run_base64UrlColumn_keepsItsAlphabet() throws Exception {
    try (Fixture f = Fixture.create(Db.H2, true, 0)) {
      try (Connection c = f.ds.getConnection();
          PreparedStatement ps = c.prepareStatement("INSERT INTO " + f.table + " (id, v) VALUES (?, ?)")) {
        for (long id = 1; id <= 20; id++) {
          ps.setLong(1, id);
          ps.setString(2, java.util.Base64.getUrlEncoder().withoutPadding()
              .encodeToString(f.oldEnv.encrypt(Fixture.plaintext(id, 0), Fixture.ctx(id))));
          ps.executeUpdate();
        }
      }
      RotationReport r = f.reencrypt().encoding(ValueEncoding.BASE64_URL).build().run();
      assertThat(r.changed()).isEqualTo(20);
      try (Connection c = f.ds.getConnection(); Statement s = c.createStatement();
          var rs = s.executeQuery("SELECT id, v FROM " + f.table)) {
        while (rs.next()) {
          byte[] raw = java.util.Base64.getUrlDecoder().decode(rs.getString(2));
          assertThat(rs.getString(2)).doesNotContain("=", "+", "/");
          assertThat(f.newEnv.decrypt(raw, Fixture.ctx(rs.getLong(1)))).isEqualTo(Fixture.plaintext(rs.getLong(1), 0));
        }
      }
    }
  }

  @Test
  void builder_missingOrBadSettings_throwTypedExceptions() {
    assertThatThrownBy(() -> ReencryptJob.builder().build()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> ReencryptJob.builder().table("users; DROP TABLE x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ReencryptJob.builder().column("a.b")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ReencryptJob.builder().batchSize(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ReencryptJob.builder().rateLimit(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ReencryptJob.builder().rateLimit(Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ReencryptJob.builder().limit(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ReencryptJob.builder().jobId("a b")).isInstanceOf(IllegalArgumentException.class);
    TestKey k = TestKey.create("k");
    try (Envelope e = Envelope.builder().masterKeys(k).build()) {
      var noContext = ReencryptJob.builder().dataSource(Db.H2.dataSource()).table("t").idColumn("id").column("v")
          .from(e).to(e);
      assertThatThrownBy(noContext::build).isInstanceOf(IllegalStateException.class).hasMessageContaining("context");
      var noTo = ReencryptJob.builder().dataSource(Db.H2.dataSource()).table("t").idColumn("id").column("v")
          .context(row -> EncryptionContext.empty()).from(e);
      assertThatThrownBy(noTo::build).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void valueCipher_envelope_isCurrentOnlyForTheTargetKeyAndVersion() {
    TestKey v1 = TestKey.create("k");
    TestKey v2 = v1.rotate();
    try (Envelope e1 = Envelope.builder().masterKeys(v1).build();
        Envelope e2 = Envelope.builder().masterKeys(v2).build()) {
      ValueCipher c2 = ValueCipher.of(e2);
      byte[] old = e1.encrypt(new byte[] {1}, EncryptionContext.empty());
      byte[] fresh = e2.encrypt(new byte[] {1}, EncryptionContext.empty());
      assertThat(c2.isCurrent(fresh)).isTrue();
      assertThat(c2.isCurrent(old)).isFalse();
      assertThat(c2.isCurrent(new byte[] {0, 1, 2})).isFalse();
      assertThat(c2.isCurrent(new byte[0])).isFalse();
      assertThat(c2.decrypt(old, EncryptionContext.empty())).containsExactly(1);
      assertThatThrownBy(() -> c2.decrypt(old, EncryptionContext.of("a", "b")))
          .isInstanceOf(InvalidCiphertextException.class);
    }
  }
}
