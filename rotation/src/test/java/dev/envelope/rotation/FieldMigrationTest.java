package dev.envelope.rotation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.envelope.core.DataKeyStore;
import dev.envelope.core.FieldEncryptor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Re-encrypt jobs with FieldEncryptor: message format to field format, and retiring a data key. */
class FieldMigrationTest {
  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_messageValuesInTextColumn_becomeFieldValues(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, true, 300);
        FieldEncryptor fields = FieldEncryptor.builder().masterKey(f.newKey).dataKeyStore(DataKeyStore.inMemory()).build()) {
      RotationReport r = f.reencrypt().from(f.oldEnv).to(fields).encoding(ValueEncoding.BASE64_URL).jobId("m2f")
          .build().run();

      assertThat(r.succeeded()).isTrue();
      assertThat(r.changed()).isEqualTo(300);
      try (Connection c = f.ds.getConnection(); Statement s = c.createStatement();
          ResultSet rs = s.executeQuery("SELECT id, v FROM " + f.table)) {
        while (rs.next()) {
          long id = rs.getLong(1);
          assertThat(rs.getString(2)).doesNotContain("=", "+", "/");
          assertThat(fields.decryptFromString(rs.getString(2), Fixture.ctx(id))).isEqualTo(Fixture.plaintext(id, 0));
        }
      }
      RotationReport again = f.reencrypt().from(f.oldEnv).to(fields).encoding(ValueEncoding.BASE64_URL).build().run();
      assertThat(again.skippedCurrent()).isEqualTo(300);
    }
  }

  @ParameterizedTest(name = "{0}")
  @EnumSource(Db.class)
  void run_retiredDataKey_onlyItsValuesMoveAndItCanThenBeDestroyed(Db db) throws Exception {
    try (Fixture f = Fixture.create(db, false, 0);
        FieldEncryptor fields = FieldEncryptor.builder().masterKey(f.newKey).dataKeyStore(DataKeyStore.inMemory()).build()) {
      try (Connection c = f.ds.getConnection();
          PreparedStatement ps = c.prepareStatement("INSERT INTO " + f.table + " (id, v) VALUES (?, ?)")) {
        for (long id = 1; id <= 200; id++) {
          ps.setLong(1, id);
          ps.setBytes(2, fields.encrypt(Fixture.plaintext(id, 0), Fixture.ctx(id)));
          ps.executeUpdate();
          if (id == 150) {
            fields.retire(FieldEncryptor.dataKeyIdOf(f.read(1)));
          }
        }
      }
      long retired = FieldEncryptor.dataKeyIdOf(f.read(1));
      assertThat(FieldEncryptor.dataKeyIdOf(f.read(200))).isNotEqualTo(retired);
      Map<Long, byte[]> before = f.snapshot();

      RotationReport r = f.reencrypt().from(fields).to(fields, retired).build().run();

      assertThat(r.changed()).isEqualTo(150);
      assertThat(r.skippedCurrent()).isEqualTo(50);
      Map<Long, byte[]> after = f.snapshot();
      for (long id = 151; id <= 200; id++) {
        assertThat(after.get(id)).isEqualTo(before.get(id));
      }
      fields.destroy(retired); // crypto-shredding the old key loses nothing now
      for (Map.Entry<Long, byte[]> e : after.entrySet()) {
        assertThat(FieldEncryptor.dataKeyIdOf(e.getValue())).isNotEqualTo(retired);
        assertThat(fields.decrypt(e.getValue(), Fixture.ctx(e.getKey()))).isEqualTo(Fixture.plaintext(e.getKey(), 0));
      }
    }
  }
}
