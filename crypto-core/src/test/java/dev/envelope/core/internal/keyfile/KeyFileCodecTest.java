package dev.envelope.core.internal.keyfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.KeyFileException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class KeyFileCodecTest {
  private static final KdfParams FAST = new KdfParams(64, 1, 1);
  private static final byte[] SALT = new byte[16];

  private static byte[] key(int start) {
    byte[] b = new byte[32];
    for (int i = 0; i < 32; i++) {
      b[i] = (byte) (start + i);
    }
    return b;
  }

  private static List<KeyFileEntry> sample() {
    return List.of(
        new KeyFileEntry("billing", 1, List.of(new KeyFileVersion(1, 1000, key(0x40)))),
        new KeyFileEntry("orders", 3, List.of(new KeyFileVersion(1, 1000, key(0)), new KeyFileVersion(3, 2000,
            key(0x20)))));
  }

  private static List<KeyFileEntry> decodePlain(byte[] file) {
    return KeyFileCodec.decodeBody(file, KeyFileCodec.parseHeader(file, "t"), null, "t");
  }

  /** Recomputes the trailing SHA-256, so a test reaches the checks behind the checksum. */
  static byte[] withChecksum(byte[] file) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      d.update(file, 0, file.length - 32);
      System.arraycopy(d.digest(), 0, file, file.length - 32, 32);
      return file;
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** A plain file around an arbitrary key section, with a correct body length and checksum. */
  static byte[] plainFile(byte[] section) {
    ByteBuffer b = ByteBuffer.allocate(16 + section.length + 32);
    b.put(KeyFileCodec.MAGIC).putShort((short) 1).putShort((short) 0).putInt(section.length).put(section);
    return withChecksum(b.array());
  }

  private static byte[] section(Consumer<ByteBuffer> writer) {
    ByteBuffer b = ByteBuffer.allocate(64 * 1024);
    writer.accept(b);
    return Arrays.copyOf(b.array(), b.position());
  }

  private static void oneKey(ByteBuffer b, String name, long primary, long... versions) {
    b.put((byte) name.length()).put(name.getBytes()).putInt((int) primary).putShort((short) versions.length);
    for (long v : versions) {
      b.putInt((int) v).putLong(0).put(new byte[32]);
    }
  }

  private static void assertCorrupt(byte[] section, String detail) {
    assertThatThrownBy(() -> decodePlain(plainFile(section)))
        .isExactlyInstanceOf(KeyFileException.class)
        .hasMessageContaining(detail);
  }

  @Test
  void encodeDecode_plain_roundTrips() {
    byte[] file = KeyFileCodec.encode(sample(), null, null, null);

    List<KeyFileEntry> decoded = decodePlain(file);

    assertThat(KeyFileCodec.parseHeader(file, "t").encrypted()).isFalse();
    assertThat(decoded).hasSize(2);
    assertThat(decoded.get(1).name()).isEqualTo("orders");
    assertThat(decoded.get(1).primary()).isEqualTo(3);
    assertThat(decoded.get(1).versions().get(1).key()).isEqualTo(key(0x20));
    assertThat(decoded.get(1).versions().get(1).createdEpochMillis()).isEqualTo(2000);
    assertThat(KeyFileCodec.encode(decoded, null, null, null)).isEqualTo(file);
  }

  @Test
  void encode_decodedReferenceFile_reproducesItByteForByte() throws Exception {
    byte[] reference;
    try (var in = KeyFileCodecTest.class.getResourceAsStream("/keyfile/v1-plain.envk")) {
      reference = in.readAllBytes();
    }

    byte[] reencoded = KeyFileCodec.encode(decodePlain(reference), null, null, null);

    assertThat(reencoded).isEqualTo(reference);
  }

  @Test
  void encodeDecode_encrypted_roundTripsAndHeaderCarriesParameters() {
    SecretKeySpec k = FAST.deriveKey("pw".toCharArray(), SALT);
    byte[] file = KeyFileCodec.encode(sample(), FAST, SALT, k);

    KeyFileCodec.Header h = KeyFileCodec.parseHeader(file, "t");
    List<KeyFileEntry> decoded = KeyFileCodec.decodeBody(file, h, k, "t");

    assertThat(h.encrypted()).isTrue();
    assertThat(h.kdf()).isEqualTo(FAST);
    assertThat(h.salt()).isEqualTo(SALT);
    assertThat(h.length()).isEqualTo(54);
    assertThat(decoded.get(0).versions().get(0).key()).isEqualTo(key(0x40));
  }

  @Test
  void encode_encryptedTwice_usesFreshNonce() {
    SecretKeySpec k = FAST.deriveKey("pw".toCharArray(), SALT);

    byte[] a = KeyFileCodec.encode(sample(), FAST, SALT, k);
    byte[] b = KeyFileCodec.encode(sample(), FAST, SALT, k);

    assertThat(KeyFileCodec.parseHeader(a, "t").nonce()).isNotEqualTo(KeyFileCodec.parseHeader(b, "t").nonce());
  }

  @Test
  void decode_encryptedHeaderAltered_failsAuthentication() {
    SecretKeySpec k = FAST.deriveKey("pw".toCharArray(), SALT);
    byte[] file = KeyFileCodec.encode(sample(), FAST, SALT, k);
    // Raise the iteration count: still in bounds, checksum fixed, but the header is GCM's AAD.
    file[8 + 2 + 2 + 1 + 4 + 3] = 2;
    byte[] altered = withChecksum(file);

    KeyFileCodec.Header h = KeyFileCodec.parseHeader(altered, "t");
    assertThat(h.kdf().iterations()).isEqualTo(2);
    assertThatThrownBy(() -> KeyFileCodec.decodeBody(altered, h, k, "t"))
        .isExactlyInstanceOf(KeyFileException.class)
        .hasMessageContaining("wrong passphrase, or the file is damaged");
  }

  @Test
  void parseHeader_otherFormatVersion_namesIt() {
    byte[] file = KeyFileCodec.encode(sample(), null, null, null);
    file[9] = 2;

    assertThatThrownBy(() -> KeyFileCodec.parseHeader(withChecksum(file), "t"))
        .isExactlyInstanceOf(KeyFileException.class)
        .hasMessageContaining("format version 2");
  }

  @Test
  void parseHeader_unknownFlag_isCorrupt() {
    byte[] file = KeyFileCodec.encode(sample(), null, null, null);
    file[11] = 2;

    assertThatThrownBy(() -> KeyFileCodec.parseHeader(withChecksum(file), "t"))
        .isExactlyInstanceOf(KeyFileException.class).hasMessageContaining("flags");
  }

  @Test
  void parseHeader_kdfParametersOutOfBounds_rejectedBeforeDerivation() {
    SecretKeySpec k = FAST.deriveKey("pw".toCharArray(), SALT);
    byte[] good = KeyFileCodec.encode(sample(), FAST, SALT, k);
    int kdfId = 12;
    int memory = 13;
    int iterations = 17;
    int parallelism = 21;
    List<Consumer<ByteBuffer>> edits = List.of(
        b -> b.put(kdfId, (byte) 2),
        b -> b.putInt(memory, KdfParams.MAX_MEMORY_KIB + 1),
        b -> b.putInt(memory, -1),
        b -> b.putInt(memory, 7),
        b -> b.putInt(iterations, 0),
        b -> b.putInt(iterations, KdfParams.MAX_ITERATIONS + 1),
        b -> b.put(parallelism, (byte) 0),
        b -> b.put(parallelism, (byte) (KdfParams.MAX_PARALLELISM + 1)),
        b -> b.put(parallelism, (byte) 9)); // 9 lanes need 72 KiB, the file says 64
    for (Consumer<ByteBuffer> edit : edits) {
      byte[] bad = good.clone();
      edit.accept(ByteBuffer.wrap(bad));
      assertThatThrownBy(() -> KeyFileCodec.parseHeader(withChecksum(bad), "t"))
          .isExactlyInstanceOf(KeyFileException.class)
          .hasMessageContaining("corrupt");
    }
  }

  @Test
  void parseHeader_bodyLengthMismatch_isCorrupt() {
    byte[] file = KeyFileCodec.encode(sample(), null, null, null);
    ByteBuffer.wrap(file).putInt(12, ByteBuffer.wrap(file).getInt(12) + 1);

    assertThatThrownBy(() -> KeyFileCodec.parseHeader(withChecksum(file), "t"))
        .isExactlyInstanceOf(KeyFileException.class).hasMessageContaining("body length");
  }

  @Test
  void decode_keySectionViolations_areCorrupt() {
    assertCorrupt(section(b -> b.putShort((short) 1025)), "more than 1024 keys");
    assertCorrupt(section(b -> b.putShort((short) 2)), "truncated");
    assertCorrupt(section(b -> {
      b.putShort((short) 1);
      oneKey(b, "orders", 1, 1);
      b.put((byte) 0);
    }), "trailing bytes");
    assertCorrupt(section(b -> {
      b.putShort((short) 2);
      oneKey(b, "orders", 1, 1);
      oneKey(b, "billing", 1, 1);
    }), "ascending order");
    assertCorrupt(section(b -> {
      b.putShort((short) 2);
      oneKey(b, "orders", 1, 1);
      oneKey(b, "orders", 1, 1);
    }), "ascending order");
    assertCorrupt(section(b -> {
      b.putShort((short) 1);
      oneKey(b, "bad name", 1, 1);
    }), "bad character");
    assertCorrupt(section(b -> {
      b.putShort((short) 1);
      oneKey(b, "", 1, 1);
      b.put(new byte[10]);
    }), "name length");
    assertCorrupt(section(b -> {
      b.putShort((short) 1);
      oneKey(b, "x".repeat(129), 1, 1);
    }), "name length");
    assertCorrupt(section(b -> {
      b.putShort((short) 1);
      oneKey(b, "orders", 2, 1);
    }), "primary version");
    assertCorrupt(section(b -> {
      b.putShort((short) 1);
      oneKey(b, "orders", 1);
      b.put(new byte[44]);
    }), "1..1024 versions");
    assertCorrupt(section(b -> {
      b.putShort((short) 1);
      oneKey(b, "orders", 0, 0);
    }), "ascending");
    assertCorrupt(section(b -> {
      b.putShort((short) 1);
      oneKey(b, "orders", 2, 2, 1);
    }), "ascending");
    assertCorrupt(section(b -> {
      b.putShort((short) 1);
      oneKey(b, "orders", 1, 1, 1);
    }), "ascending");
    assertCorrupt(section(b -> {
      b.putShort((short) 1);
      oneKey(b, "orders", 0x80000000L, 0x80000000L);
    }), "ascending");
    assertCorrupt(section(b -> {
      b.putShort((short) 1);
      b.put((byte) 6).put("orders".getBytes()).putInt(1).putShort((short) 1025);
      b.put(new byte[44]);
    }), "1..1024 versions");
    assertCorrupt(section(b -> {
      b.putShort((short) 1);
      b.put((byte) 6).put("orders".getBytes()).putInt(1).putShort((short) 1000);
      b.put(new byte[44]);
    }), "truncated");
  }

  @Test
  void decode_tooManyVersionsInTotal_isCorrupt() {
    // 17 keys of 1000 versions: each key is within its limit, the file is not.
    byte[] section = new byte[2 + 17 * (1 + 3 + 4 + 2 + 1000 * 44)];
    ByteBuffer b = ByteBuffer.wrap(section);
    b.putShort((short) 17);
    for (int k = 0; k < 17; k++) {
      long[] versions = new long[1000];
      for (int v = 0; v < 1000; v++) {
        versions[v] = v + 1;
      }
      oneKey(b, String.format("k%02d", k), 1, versions);
    }

    assertCorrupt(section, "16384 key versions in total");
  }

  @Test
  void decode_everyBitFlipBehindValidChecksum_isKeyFileExceptionOrValid() {
    byte[] good = KeyFileCodec.encode(sample(), null, null, null);
    int valid = 0;
    for (int bit = 16 * 8; bit < (good.length - 32) * 8; bit++) {
      byte[] bad = good.clone();
      bad[bit / 8] ^= (byte) (1 << (bit % 8));
      withChecksum(bad);
      try {
        List<KeyFileEntry> decoded = decodePlain(bad);
        // Flips in key bytes and timestamps still parse: the checksum is what catches those.
        assertThat(decoded).hasSize(2);
        valid++;
      } catch (KeyFileException expected) {
        assertThat(expected.getMessage()).contains("corrupt");
      }
    }
    assertThat(valid).isPositive();
  }

  @Test
  void decode_randomSectionsBehindValidChecksum_neverThrowAnythingElse() {
    Random random = new Random(1234);
    byte[] template = section(b -> {
      b.putShort((short) 2);
      oneKey(b, "a", 1, 1, 2);
      oneKey(b, "b", 2, 2);
    });
    for (int i = 0; i < 3000; i++) {
      byte[] s;
      if (i % 2 == 0) {
        s = new byte[random.nextInt(200)];
        random.nextBytes(s);
        if (s.length >= 2) {
          s[0] = 0; // small key counts reach deeper into the parser
        }
      } else {
        s = template.clone();
        for (int f = 0; f < 1 + random.nextInt(4); f++) {
          s[random.nextInt(s.length)] = (byte) random.nextInt(256);
        }
        s = Arrays.copyOf(s, Math.max(0, s.length - random.nextInt(3) + random.nextInt(3)));
      }
      byte[] file = plainFile(s);
      try {
        decodePlain(file);
      } catch (KeyFileException expected) {
        // the only allowed failure
      }
    }
  }

  @Test
  void encode_invalidEntries_throwIllegalArgument() {
    List<KeyFileEntry> unsorted = new ArrayList<>(sample());
    java.util.Collections.reverse(unsorted);

    assertThatThrownBy(() -> KeyFileCodec.encode(unsorted, null, null, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> KeyFileCodec.encode(sample(), FAST, SALT, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new KeyFileEntry("orders", 2, List.of(new KeyFileVersion(1, 0, key(0)))))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new KdfParams(KdfParams.MAX_MEMORY_KIB + 1, 1, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keyFileVersion_toString_redactsKey() {
    KeyFileVersion v = new KeyFileVersion(1, 0, key(0x41));

    assertThat(v.toString()).contains("redacted").doesNotContain("65, 66");
  }

  @Test
  void deriveKey_knownParameters_isDeterministicAndSaltSensitive() {
    byte[] a = FAST.deriveKey("pw".toCharArray(), SALT).getEncoded();
    byte[] b = FAST.deriveKey("pw".toCharArray(), SALT).getEncoded();
    byte[] otherSalt = SALT.clone();
    otherSalt[0] = 1;
    byte[] c = FAST.deriveKey("pw".toCharArray(), otherSalt).getEncoded();

    assertThat(a).hasSize(32).isEqualTo(b).isNotEqualTo(c);
    assertThatThrownBy(() -> FAST.deriveKey(new char[] {'\uD800'}, SALT)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> FAST.deriveKey(new char[0], SALT)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void argon2id_referenceVector_matchesPhcTestSuite() {
    // phc-winner-argon2 src/test.c: Argon2id v0x13, t=2, m=2^8 KiB, p=1, "password" / "somesalt".
    byte[] out = new KdfParams(256, 2, 1).argon2id("password".getBytes(java.nio.charset.StandardCharsets.UTF_8),
        "somesalt".getBytes(java.nio.charset.StandardCharsets.UTF_8));

    assertThat(java.util.HexFormat.of().formatHex(out))
        .isEqualTo("9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe");
  }

  @Test
  void deriveKey_nonAsciiPassphrase_isEncodedAsUtf8() {
    byte[] salt = new byte[16];
    char[] passphrase = "p\u00e4ss \u20ac \uD83D\uDD11".toCharArray();

    byte[] viaChars = new KdfParams(64, 1, 1).deriveKey(passphrase, salt).getEncoded();
    byte[] viaUtf8 = new KdfParams(64, 1, 1).argon2id(new String(passphrase).getBytes(
        java.nio.charset.StandardCharsets.UTF_8), salt);

    assertThat(viaChars).isEqualTo(viaUtf8);
  }
}
