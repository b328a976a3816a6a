package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Ciphertexts written once by format v1 (docs/format.md) and checked in: any change to the wire
 * format, key derivation or local key wrap breaks this test.
 */
class KnownAnswerTest {
  static final EncryptionContext CTX = EncryptionContext.of("tenant", "42", "purpose", "known-answer");

  static LocalMasterKey katKey() {
    byte[] k = new byte[32];
    for (int i = 0; i < 32; i++) {
      k[i] = (byte) i;
    }
    return LocalMasterKey.of("kat", k);
  }

  static List<String[]> vectors() throws IOException {
    try (InputStream in = KnownAnswerTest.class.getResourceAsStream("/vectors/message-v1.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
          .filter(l -> !l.startsWith("#") && !l.isBlank())
          .map(l -> l.split("\\|", -1))
          .toList();
    }
  }

  @Test
  void decrypt_checkedInV1Vectors_yieldsKnownPlaintext() throws IOException {
    List<String[]> vectors = vectors();
    assertThat(vectors).hasSize(5);
    LocalMasterKey key = katKey();
    for (String[] v : vectors) {
      int segment = Integer.parseInt(v[0]);
      byte[] pt = HexFormat.of().parseHex(v[1]);
      byte[] ct = HexFormat.of().parseHex(v[2]);
      try (Envelope env = Envelope.builder().masterKeys(key).build()) {
        assertThat(env.decrypt(ct, CTX)).isEqualTo(pt);
      }
      MessageInfo info = Envelope.inspect(ct);
      assertThat(info.version()).isEqualTo(1);
      assertThat(info.suite()).isEqualTo(1);
      assertThat(info.segmentSize()).isEqualTo(segment);
      assertThat(info.context()).isEqualTo(CTX);
      assertThat(info.keys()).singleElement().satisfies(w -> {
        assertThat(w.provider()).isEqualTo("local");
        assertThat(w.keyId()).isEqualTo("kat");
        assertThat(w.version()).isEqualTo("1");
      });
      assertThat(info.plaintextLength()).isEqualTo(pt.length);
      // Today's encryptor writes the same layout: same header length, same total length.
      try (Envelope env = Envelope.builder().masterKeys(key).segmentSize(segment).build()) {
        assertThat(env.encrypt(pt, CTX)).hasSameSizeAs(ct);
      }
    }
  }

  @Test
  void decrypt_vectorWithOtherKeyMaterial_fails() throws IOException {
    byte[] ct = HexFormat.of().parseHex(vectors().get(0)[2]);
    LocalMasterKey sameNameOtherBytes = LocalMasterKey.of("kat", new byte[32]);
    try (Envelope env = Envelope.builder().masterKeys(sameNameOtherBytes).build()) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> env.decrypt(ct, CTX))
          .isExactlyInstanceOf(InvalidCiphertextException.class);
    }
  }
}
