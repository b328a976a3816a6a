package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** FieldEncryptor with the real local master key, through a key-file rotation and a rewrap. */
class FieldEncryptorLocalKeyTest {
  static final EncryptionContext CTX = EncryptionContext.of("table", "users", "column", "ssn", "id", "7");

  @Test
  void localKeyRotation_rewrapMovesRowsToNewVersionAndValuesStillDecrypt(@TempDir Path dir) {
    LocalKeyStore keys = LocalKeyStore.create(dir.resolve("app.keys"));
    LocalMasterKey v1 = keys.createKey("fields");
    DataKeyStore store = DataKeyStore.inMemory();
    byte[] ssn = "123-45-6789".getBytes(StandardCharsets.UTF_8);
    byte[] value;
    byte[] token;
    try (FieldEncryptor fields = FieldEncryptor.builder().masterKey(v1).dataKeyStore(store).build()) {
      value = fields.encrypt(ssn, CTX);
      token = fields.blindIndex("users.email", 16).compute("a@example.com".getBytes(StandardCharsets.UTF_8));
      int newVersion = keys.rotate("fields");
      LocalMasterKey v2 = keys.masterKey("fields");
      assertThat(v2.version()).isEqualTo(newVersion);

      assertThat(fields.rewrapDataKeys(v2)).isEqualTo(2); // the data key and the blind-index root
    }
    assertThat(store.list(Long.MIN_VALUE, 10))
        .allMatch(r -> r.masterKeyVersion().equals(Integer.toString(keys.masterKey("fields").version())));
    try (FieldEncryptor reopened = FieldEncryptor.builder().masterKey(keys.masterKey("fields")).dataKeyStore(store).build()) {
      assertThat(reopened.decrypt(value, CTX)).isEqualTo(ssn);
      assertThat(reopened.blindIndex("users.email", 16).compute("a@example.com".getBytes(StandardCharsets.UTF_8)))
          .isEqualTo(token);
    }
  }
}
