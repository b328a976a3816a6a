package dev.envelope.core;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;

/**
 * Any input to the field parsers either decrypts or fails with the typed exceptions, never with
 * another exception. Regression mode (the default in {@code mvn verify}) replays the seeds; fuzz
 * for real with {@code JAZZER_FUZZ=1}.
 */
class FieldValueFuzzTest {
  private static final FieldEncryptor FIELDS =
      FieldEncryptor.builder().masterKey(new TestMasterKey("fuzz")).dataKeyStore(DataKeyStore.inMemory()).build();
  private static final EncryptionContext CTX = EncryptionContext.of("table", "t", "column", "c", "id", "1");

  static {
    // One real key in the store, so well-formed inputs that name it reach AES-GCM.
    FIELDS.encrypt(new byte[1], CTX);
  }

  @FuzzTest(maxDuration = "10s")
  void decrypt_anyBytes_decryptsOrThrowsTyped(byte[] input) {
    try {
      FIELDS.decrypt(input, CTX);
    } catch (InvalidCiphertextException | KeyUnavailableException expected) {
      // typed
    }
    try {
      FIELDS.decryptFromString(new String(input, StandardCharsets.ISO_8859_1), CTX);
    } catch (InvalidCiphertextException | KeyUnavailableException expected) {
      // typed
    }
    try {
      FieldEncryptor.dataKeyIdOf(input);
    } catch (InvalidCiphertextException expected) {
      // typed
    }
  }
}
