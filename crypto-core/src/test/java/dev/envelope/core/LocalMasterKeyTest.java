package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalMasterKeyTest {
  private static final EncryptionContext CTX = EncryptionContext.of("tenant", "42", "purpose", "invoice");

  static byte[] seq(int start) {
    byte[] b = new byte[32];
    for (int i = 0; i < 32; i++) {
      b[i] = (byte) (start + i);
    }
    return b;
  }

  private static SecretBytes dataKey() {
    return SecretBytes.wrap(seq(0x70));
  }

  /** docs/keyfile.md §6, written out independently of LocalMasterKey. */
  private static byte[] documentedAad(String name, int version, EncryptionContext ctx) {
    byte[] label = "envelope/local-wrap/v1".getBytes(StandardCharsets.US_ASCII);
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    byte[] c = ctx.canonicalBytes();
    return ByteBuffer.allocate(label.length + 2 + n.length + 4 + c.length)
        .put(label).putShort((short) n.length).put(n).putInt(version).put(c).array();
  }

  @Test
  void wrap_thenUnwrapWithSameContext_returnsDataKey() {
    LocalMasterKey key = LocalMasterKey.generate("orders");
    try (SecretBytes dk = dataKey()) {
      WrappedKey wrapped = key.wrap(dk, CTX);

      assertThat(key.unwrap(wrapped, EncryptionContext.of("purpose", "invoice", "tenant", "42"))).isEqualTo(dk);
    }
  }

  @Test
  void wrap_anyKey_hasDocumentedShape() {
    LocalMasterKey key = LocalMasterKey.generate("orders");

    WrappedKey wrapped = key.wrap(dataKey(), CTX);

    assertThat(wrapped.provider()).isEqualTo("local");
    assertThat(wrapped.keyId()).isEqualTo("orders");
    assertThat(wrapped.version()).isEqualTo("1");
    assertThat(wrapped.ciphertext()).hasSize(60);
    assertThat(key.ref()).isEqualTo(new KeyRef("local", "orders"));
    assertThat(key.version()).isEqualTo(1);
    assertThat(key.canUnwrap(wrapped)).isTrue();
  }

  @Test
  void wrap_sameDataKeyTwice_usesFreshNonces() {
    LocalMasterKey key = LocalMasterKey.generate("orders");

    byte[] a = key.wrap(dataKey(), CTX).ciphertext();
    byte[] b = key.wrap(dataKey(), CTX).ciphertext();

    assertThat(Arrays.copyOf(a, 12)).isNotEqualTo(Arrays.copyOf(b, 12));
    assertThat(a).isNotEqualTo(b);
  }

  @Test
  void wrap_output_decryptsWithPlainJceAndDocumentedAad() throws Exception {
    LocalMasterKey key = LocalMasterKey.of("orders", seq(0));

    byte[] wrapped = key.wrap(dataKey(), CTX).ciphertext();

    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(seq(0), "AES"),
        new GCMParameterSpec(128, Arrays.copyOf(wrapped, 12)));
    c.updateAAD(documentedAad("orders", 1, CTX));
    assertThat(c.doFinal(wrapped, 12, 48)).isEqualTo(seq(0x70));
  }

  @Test
  void unwrap_knownAnswerFromPlainJce_returnsDataKey() throws Exception {
    byte[] nonce = HexFormat.of().parseHex("000102030405060708090a0b");
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seq(0x20), "AES"), new GCMParameterSpec(128, nonce));
    c.updateAAD(documentedAad("orders", 2, CTX));
    byte[] ct = c.doFinal(seq(0x70));
    byte[] wrapped = ByteBuffer.allocate(60).put(nonce).put(ct).array();
    LocalMasterKey key = LocalMasterKey.ofVersions("orders", 2, Map.of(1, seq(0), 2, seq(0x20)));

    SecretBytes unwrapped = key.unwrap(new WrappedKey("local", "orders", "2", wrapped), CTX);

    assertThat(unwrapped.toByteArray()).isEqualTo(seq(0x70));
  }

  @Test
  void unwrap_wrongContext_throwsInvalidCiphertext() {
    LocalMasterKey key = LocalMasterKey.generate("orders");
    WrappedKey wrapped = key.wrap(dataKey(), CTX);

    for (EncryptionContext wrong : List.of(
        EncryptionContext.empty(),
        EncryptionContext.of("tenant", "43", "purpose", "invoice"),
        EncryptionContext.of("tenant", "42"),
        EncryptionContext.of("tenant", "42", "purpose", "invoice", "extra", "x"))) {
      assertThatThrownBy(() -> key.unwrap(wrapped, wrong))
          .isInstanceOf(InvalidCiphertextException.class)
          .hasMessage(InvalidCiphertextException.MESSAGE);
    }
  }

  @Test
  void unwrap_everySingleBitFlip_throwsInvalidCiphertext() {
    LocalMasterKey key = LocalMasterKey.generate("orders");
    byte[] good = key.wrap(dataKey(), CTX).ciphertext();

    int failures = 0;
    for (int bit = 0; bit < good.length * 8; bit++) {
      byte[] bad = good.clone();
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      WrappedKey tampered = new WrappedKey("local", "orders", "1", bad);
      assertThatThrownBy(() -> key.unwrap(tampered, CTX)).isInstanceOf(InvalidCiphertextException.class);
      failures++;
    }
    assertThat(failures).isEqualTo(480);
  }

  @Test
  void unwrap_truncatedOrExtended_throwsInvalidCiphertext() {
    LocalMasterKey key = LocalMasterKey.generate("orders");
    byte[] good = key.wrap(dataKey(), CTX).ciphertext();

    for (int len = 1; len < good.length; len++) {
      WrappedKey truncated = new WrappedKey("local", "orders", "1", Arrays.copyOf(good, len));
      assertThatThrownBy(() -> key.unwrap(truncated, CTX)).isInstanceOf(InvalidCiphertextException.class);
    }
    WrappedKey extended = new WrappedKey("local", "orders", "1", Arrays.copyOf(good, good.length + 1));
    assertThatThrownBy(() -> key.unwrap(extended, CTX)).isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void unwrap_otherKeyWithSameName_throwsInvalidCiphertext() {
    WrappedKey wrapped = LocalMasterKey.generate("orders").wrap(dataKey(), CTX);

    assertThatThrownBy(() -> LocalMasterKey.generate("orders").unwrap(wrapped, CTX))
        .isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void unwrap_sameBytesUnderAnotherName_throwsInvalidCiphertext() {
    byte[] material = seq(5);
    WrappedKey wrapped = LocalMasterKey.of("orders", material).wrap(dataKey(), CTX);
    LocalMasterKey other = LocalMasterKey.of("billing", material);

    WrappedKey renamed = new WrappedKey("local", "billing", "1", wrapped.ciphertext());

    assertThatThrownBy(() -> other.unwrap(renamed, CTX)).isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void unwrap_versionRelabelledToAnotherHeldVersion_throwsInvalidCiphertext() {
    // Both versions share their bytes, so only the version in the AAD can reject the relabelling.
    LocalMasterKey key = LocalMasterKey.ofVersions("orders", 2, Map.of(1, seq(9), 2, seq(9)));
    WrappedKey wrapped = key.wrap(dataKey(), CTX);
    assertThat(wrapped.version()).isEqualTo("2");

    WrappedKey relabelled = new WrappedKey("local", "orders", "1", wrapped.ciphertext());

    assertThatThrownBy(() -> key.unwrap(relabelled, CTX)).isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void unwrap_unknownVersion_throwsKeyUnavailableNamingKeyAndVersion() {
    LocalMasterKey key = LocalMasterKey.generate("orders");
    WrappedKey wrapped = key.wrap(dataKey(), CTX);

    WrappedKey future = new WrappedKey("local", "orders", "7", wrapped.ciphertext());

    assertThatThrownBy(() -> key.unwrap(future, CTX))
        .isInstanceOf(KeyUnavailableException.class)
        .hasMessageContaining("orders")
        .hasMessageContaining("version 7");
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "0", "01", "+1", "-1", " 1", "1 ", "1.0", "0x1", "\u0661", "2147483648",
      "99999999999", "1e3"})
  void unwrap_malformedVersion_throwsInvalidCiphertext(String version) {
    LocalMasterKey key = LocalMasterKey.generate("orders");
    WrappedKey wrapped = key.wrap(dataKey(), CTX);

    WrappedKey bad = new WrappedKey("local", "orders", version, wrapped.ciphertext());

    assertThatThrownBy(() -> key.unwrap(bad, CTX)).isInstanceOf(InvalidCiphertextException.class);
  }

  @Test
  void unwrap_wrappedKeyOfAnotherKeyId_throwsKeyUnavailable() {
    LocalMasterKey key = LocalMasterKey.generate("orders");
    WrappedKey wrapped = LocalMasterKey.generate("billing").wrap(dataKey(), CTX);

    assertThat(key.canUnwrap(wrapped)).isFalse();
    assertThatThrownBy(() -> key.unwrap(wrapped, CTX)).isInstanceOf(KeyUnavailableException.class);
  }

  @Test
  void unwrap_olderVersionOfMultiVersionKey_returnsDataKey() {
    LocalMasterKey v1only = LocalMasterKey.ofVersions("orders", 1, Map.of(1, seq(1)));
    LocalMasterKey rotated = LocalMasterKey.ofVersions("orders", 2, Map.of(1, seq(1), 2, seq(2)));
    WrappedKey old = v1only.wrap(dataKey(), CTX);

    WrappedKey fresh = rotated.wrap(dataKey(), CTX);

    assertThat(rotated.unwrap(old, CTX).toByteArray()).isEqualTo(seq(0x70));
    assertThat(fresh.version()).isEqualTo("2");
    assertThat(rotated.unwrap(fresh, CTX).toByteArray()).isEqualTo(seq(0x70));
    assertThatThrownBy(() -> v1only.unwrap(fresh, CTX)).isInstanceOf(KeyUnavailableException.class);
    assertThat(rotated.versions()).containsExactly(1, 2);
  }

  @Test
  void rewrap_toNewerVersion_carriesNewVersionAndSameDataKey() {
    LocalMasterKey v1only = LocalMasterKey.ofVersions("orders", 1, Map.of(1, seq(1)));
    LocalMasterKey rotated = LocalMasterKey.ofVersions("orders", 2, Map.of(1, seq(1), 2, seq(2)));
    WrappedKey old = v1only.wrap(dataKey(), CTX);

    WrappedKey rewrapped = rotated.rewrap(old, rotated, CTX);

    assertThat(rewrapped.version()).isEqualTo("2");
    assertThat(rotated.unwrap(rewrapped, CTX).toByteArray()).isEqualTo(seq(0x70));
  }

  @Test
  void generateDataKey_default_unwrapsToSamePlaintext() {
    LocalMasterKey key = LocalMasterKey.generate("orders");

    try (DataKey dk = key.generateDataKey(CTX)) {
      assertThat(dk.plaintext().length()).isEqualTo(32);
      assertThat(key.unwrap(dk.wrapped(), CTX)).isEqualTo(dk.plaintext());
    }
  }

  @Test
  void of_callerZeroesArray_keyStillWorks() {
    byte[] material = seq(3);
    LocalMasterKey key = LocalMasterKey.of("orders", material);
    WrappedKey wrapped = key.wrap(dataKey(), CTX);

    Arrays.fill(material, (byte) 0);

    assertThat(key.unwrap(wrapped, CTX).toByteArray()).isEqualTo(seq(0x70));
    assertThat(LocalMasterKey.of("orders", seq(3)).unwrap(wrapped, CTX).toByteArray()).isEqualTo(seq(0x70));
  }

  @Test
  void of_keyNot32Bytes_throwsIllegalArgument() {
    assertThatThrownBy(() -> LocalMasterKey.of("orders", new byte[16])).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> LocalMasterKey.of("orders", new byte[33])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void wrap_dataKeyNot32Bytes_throwsIllegalArgument() {
    LocalMasterKey key = LocalMasterKey.generate("orders");

    assertThatThrownBy(() -> key.wrap(SecretBytes.wrap(new byte[16]), CTX))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "has space", "slash/name", "hash#name", "colon:name", "\u00e9t\u00e9", "tab\tname"})
  void generate_invalidName_throwsIllegalArgumentWithoutEchoingIt(String name) {
    assertThatThrownBy(() -> LocalMasterKey.generate(name))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("1..128");
  }

  @Test
  void generate_nameLengthLimit_is128() {
    assertThat(LocalMasterKey.generate("a".repeat(128)).name()).hasSize(128);
    assertThat(LocalMasterKey.generate("A-z_0.9").ref().keyId()).isEqualTo("A-z_0.9");
    assertThatThrownBy(() -> LocalMasterKey.generate("a".repeat(129))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toString_anyKey_showsNameAndVersionsButNoKeyBytes() {
    byte[] v1 = seq(0x11);
    byte[] v2 = seq(0x51);
    LocalMasterKey key = LocalMasterKey.ofVersions("orders", 2, Map.of(1, v1, 2, v2));

    String s = key.toString();

    assertThat(s).contains("orders").contains("2").contains("redacted");
    for (byte[] material : List.of(v1, v2)) {
      assertThat(s).doesNotContainIgnoringCase(HexFormat.of().formatHex(material).substring(0, 8))
          .doesNotContain(Base64.getEncoder().encodeToString(material).substring(0, 8))
          .doesNotContain(Base64.getUrlEncoder().encodeToString(material).substring(0, 8))
          .doesNotContain(Arrays.toString(material).substring(0, 8));
    }
  }
}
