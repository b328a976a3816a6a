package dev.envelope.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.Envelope;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.MessageInfo;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.Arguments;
import java.util.stream.Stream;

class RewrapJobTest {
  static Stream<Arguments> dbAndEncoding() {
    return ReencryptJobTest.dbAndEncoding();
  }

  @ParameterizedTest(name = "{0} text={1}")
  @MethodSource("dbAndEncoding")
  void run_rotatedKeyVersion_headersRewrappedBodiesUntouched(Db db, boolean text) throws Exception {
    TestKey v1 = TestKey.create("orders");
    TestKey v2 = v1.rotate();
    try (Fixture f = Fixture.create(db, db.dataSource(), text, 700, v1, v2);
        Envelope target = Envelope.builder().masterKeys(v2).build()) {
      Map<Long, byte[]> before = f.snapshot();
      int unwraps = v2.unwraps.get();

      RotationReport r = RewrapJob.builder().dataSource(f.ds).table(f.table).idColumn("id").column("v")
          .context(Fixture.rowContext()).to(target).checkpointTable(f.checkpoints).jobId("rw").batchSize(128)
          .build().run();

      assertThat(r.succeeded()).isTrue();
      assertThat(r.changed()).isEqualTo(700);
      assertThat(v2.unwraps.get() - unwraps).isEqualTo(700); // one unwrap per row, the data key stays in memory
      for (Map.Entry<Long, byte[]> e : f.snapshot().entrySet()) {
        byte[] old = before.get(e.getKey());
        MessageInfo was = Envelope.inspect(old);
        MessageInfo now = Envelope.inspect(e.getValue());
        assertThat(was.keys().get(0).version()).isEqualTo("1");
        assertThat(now.keys()).singleElement().satisfies(k -> assertThat(k.version()).isEqualTo("2"));
        assertThat(now.messageId()).isEqualTo(was.messageId());
        assertThat(Arrays.copyOfRange(e.getValue(), now.headerLength(), e.getValue().length))
            .isEqualTo(Arrays.copyOfRange(old, was.headerLength(), old.length));
        assertThat(target.decrypt(e.getValue(), Fixture.ctx(e.getKey()))).isEqualTo(Fixture.plaintext(e.getKey(), 0));
      }
      assertThat(f.checkpoint("rw")).containsEntry("state", "COMPLETED");

      RotationReport again = RewrapJob.builder().dataSource(f.ds).table(f.table).idColumn("id").column("v")
          .context(Fixture.rowContext()).to(target).checkpointTable(f.checkpoints).build().run();
      assertThat(again.skippedCurrent()).isEqualTo(700);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_anotherMasterKey_movesEveryValueAndReportsTamperedHeaders(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 200);
        Envelope target = Envelope.builder().masterKeys(f.newKey).alsoDecryptWith(f.oldKey).build()) {
      byte[] tampered = f.read(77);
      tampered[tampered.length - 1] ^= 1; // body tag: rewrap cannot see it, the header is still authentic
      f.write(77, tampered);
      byte[] badHeader = f.read(78);
      badHeader[Envelope.inspect(badHeader).headerLength() - 1] ^= 1; // header tag
      f.write(78, badHeader);

      RotationReport r = RewrapJob.builder().dataSource(f.ds).table(f.table).idColumn("id").column("v")
          .context(Fixture.rowContext()).to(target).checkpointTable(f.checkpoints).build().run();

      assertThat(r.failures()).containsExactly(new RowFailure("78", FailureReason.INVALID_CIPHERTEXT));
      assertThat(r.changed()).isEqualTo(199);
      assertThat(f.read(78)).isEqualTo(badHeader);
      assertThat(f.newEnv.decrypt(f.read(5), Fixture.ctx(5))).isEqualTo(Fixture.plaintext(5, 0));
      assertThatThrownBy(() -> f.oldEnv.decrypt(f.read(5), Fixture.ctx(5))).isInstanceOf(KeyUnavailableException.class);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_targetCannotUnwrapOldValues_everyRowKeyUnavailable(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 20)) {
      RotationReport r = RewrapJob.builder().dataSource(f.ds).table(f.table).idColumn("id").column("v")
          .context(Fixture.rowContext()).to(f.newEnv).checkpointTable(f.checkpoints).build().run();
      assertThat(r.failed()).isEqualTo(20);
      assertThat(r.failures()).allSatisfy(x -> assertThat(x.reason()).isEqualTo(FailureReason.KEY_UNAVAILABLE));
      assertThat(r.succeeded()).isFalse();
    }
  }

  @org.junit.jupiter.api.Test
  void builder_withoutTarget_throwsIllegalState() {
    assertThatThrownBy(() -> RewrapJob.builder().dataSource(Db.H2.dataSource()).table("t").idColumn("id").column("v")
        .context(Fixture.rowContext()).build()).isInstanceOf(IllegalStateException.class);
  }
}
