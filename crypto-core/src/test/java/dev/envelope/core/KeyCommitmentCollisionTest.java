package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.tuple;

import dev.envelope.core.internal.Gcm;
import dev.envelope.core.internal.MessageFormat;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.List;
import java.util.OptionalInt;
import java.util.Random;
import java.util.function.IntUnaryOperator;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One message, in Envelope's own format, whose header tag and body tag both verify under two
 * different content keys: the GCM multi-key collision behind "invisible salamanders" (Dodis,
 * Grubbs, Ristenpart, Woodage, "Fast Message Franking: From Invisible Salamanders to Encryptment",
 * CRYPTO 2018) and "partitioning oracles" (Len, Grubbs, Ristenpart, USENIX Security 2021). It
 * shows that AES-GCM alone lets one ciphertext decrypt to two plaintexts for the holders of two
 * master keys, and that Envelope's key commitment (docs/format.md §4) leaves each holder at most
 * the plaintext committed to in the header.
 *
 * <p>The algebra, written for this test. For a 96-bit nonce N, GCM's tag over blocks X_1..X_m (AAD
 * and ciphertext, each zero-padded, then the length block) is
 *
 * <pre>
 *   T_K = AES_K(N || 0^31 || 1)  +  Σ_i X_i · H_K^(m−i+1),      H_K = AES_K(0^128)
 * </pre>
 *
 * in GF(2^128), where + is XOR. With one block X_j left free and every other block fixed, T_K1 =
 * T_K2 is one linear equation in X_j:
 *
 * <pre>
 *   X_j · (H_1^e + H_2^e) = T_1(X_j = 0) + T_2(X_j = 0),       e = m − j + 1
 * </pre>
 *
 * so X_j = (T_1 + T_2)(X_j = 0) · (H_1^e + H_2^e)^−1. The body uses this directly (the last of its
 * three ciphertext blocks is free). The header has one complication: its CRC32C (§3) covers the
 * free block and is itself authenticated. Both the solved X_j (as a function of the stored CRC
 * value c) and CRC32C are affine over GF(2), so F(c) = CRC32C(header with X_j(c)) is affine in the
 * 32 bits of c, and a consistent header needs the fixed point F(c) = c: a 32×32 linear system over
 * GF(2), solved by elimination. When it has no solution (the matrix is singular about 70% of the
 * time, and then inconsistent half the time) a fresh message id gives new content keys and a new
 * system.
 *
 * <p>The free header block lies in a third wrapped-key entry with provider {@code pad}, which no
 * master key claims (docs/format.md §3.2: the wrapped key bytes are opaque), padded so that the
 * free 16 bytes start on a block boundary of the authenticated header.
 */
class KeyCommitmentCollisionTest {
  static final EncryptionContext CTX = EncryptionContext.of("tenant", "42", "purpose", "invoice");
  /** What the holder of master key A reads: 32 bytes chosen by the attacker. */
  static final byte[] PLAINTEXT_A_PREFIX = "pay 100 EUR to account 1234567.".getBytes(StandardCharsets.US_ASCII);
  static final byte[] HEADER_NONCE = MessageFormat.nonce(MessageFormat.FLAG_HEADER, 0);
  static final byte[] BODY_NONCE = MessageFormat.nonce(MessageFormat.FLAG_FINAL_SEGMENT, 0);

  final CountingMasterKey a = new CountingMasterKey("a");
  final CountingMasterKey b = new CountingMasterKey("b");
  final Random random = new Random(20180819);

  /** The attack's output, with the secrets the attacker chose, for checking it from outside. */
  record Collision(byte[] message, int headerLength, byte[] k1, byte[] k2, byte[] dk1, byte[] dk2) {
    int tagOffset() {
      return headerLength - Gcm.TAG_LENGTH;
    }

    byte[] body() {
      return Arrays.copyOfRange(message, headerLength, message.length);
    }
  }

  // ---------------------------------------------------------------- the field arithmetic itself

  @Test
  void gf128_inverse_timesElementIsOne() {
    assertThat(Gf128.ONE.inverse()).isEqualTo(Gf128.ONE);
    for (int i = 0; i < 50; i++) {
      Gf128 x = Gf128.of(bytes(16), 0);
      assertThat(x.mul(x.inverse())).isEqualTo(Gf128.ONE);
      Gf128 y = Gf128.of(bytes(16), 0);
      assertThat(x.mul(y)).isEqualTo(y.mul(x));
      assertThat(x.mul(Gf128.ONE)).isEqualTo(x);
    }
    assertThatThrownBy(Gf128.ZERO::inverse).isInstanceOf(ArithmeticException.class);
  }

  @Test
  void gf128_tag_matchesJceGcmTag() throws GeneralSecurityException {
    // The hand-written GHASH must agree with the JDK's GCM, or the collision below would prove
    // nothing about real GCM.
    for (int aadLen : new int[] {0, 1, 15, 16, 17, 33, 64}) {
      for (int ctLen : new int[] {0, 1, 16, 31, 48}) {
        byte[] key = bytes(32);
        byte[] nonce = bytes(12);
        byte[] aad = bytes(aadLen);
        byte[] sealed = jceEncrypt(key, nonce, aad, bytes(ctLen));
        Gf128 mine = Gf128.tag(key, nonce, aad, 0, aadLen, sealed, 0, ctLen);
        assertThat(mine.toBytes()).as("aad %d, ct %d", aadLen, ctLen)
            .isEqualTo(Arrays.copyOfRange(sealed, ctLen, ctLen + 16));
      }
    }
  }

  // ---------------------------------------------------------------- the collision is real GCM

  @Test
  void collision_headerAndBody_authenticateUnderBothContentKeysToTwoPlaintexts() throws GeneralSecurityException {
    Collision c = build(1);
    assertThat(c.k1()).isNotEqualTo(c.k2());
    // Parses as a v1 message with three entries: A's, B's and the padding entry.
    assertThat(Envelope.inspect(c.message()).keys()).extracting(WrappedKey::provider, WrappedKey::keyId)
        .containsExactly(tuple("test", "a"), tuple("test", "b"),
            tuple("pad", "pad"));
    // Each master key really wraps its own data key.
    List<WrappedKey> keys = Envelope.inspect(c.message()).keys();
    assertThat(a.unwrap(keys.get(0), CTX).toByteArray()).isEqualTo(c.dk1());
    assertThat(b.unwrap(keys.get(1), CTX).toByteArray()).isEqualTo(c.dk2());

    // Plain JCE, no Envelope code: the header tag verifies under K1 and under K2 …
    byte[] tag = Arrays.copyOfRange(c.message(), c.tagOffset(), c.headerLength());
    for (byte[] k : new byte[][] {c.k1(), c.k2()}) {
      assertThat(jceDecrypt(k, HEADER_NONCE, Arrays.copyOf(c.message(), c.tagOffset()), tag)).isEmpty();
    }
    // … and so does the body, to two different plaintexts.
    byte[] p1 = jceDecrypt(c.k1(), BODY_NONCE, new byte[0], c.body());
    byte[] p2 = jceDecrypt(c.k2(), BODY_NONCE, new byte[0], c.body());
    assertThat(p1).startsWith(PLAINTEXT_A_PREFIX).hasSize(48);
    assertThat(p2).hasSize(48).isNotEqualTo(p1);
    // So every check Envelope makes before and after the commitment passes for both holders.
  }

  // ---------------------------------------------------------------- Envelope: at most the committed plaintext

  @ParameterizedTest(name = "commitment of data key {0}")
  @ValueSource(ints = {1, 2})
  void decrypt_multiKeyCollision_onlyTheCommittedHolderGetsAPlaintext(int committedTo) throws Exception {
    Collision c = build(committedTo);
    byte[] committedKey = committedTo == 1 ? c.k1() : c.k2();
    byte[] committedPlaintext = jceDecrypt(committedKey, BODY_NONCE, new byte[0], c.body());
    CountingMasterKey committedHolder = committedTo == 1 ? a : b;
    CountingMasterKey otherHolder = committedTo == 1 ? b : a;

    for (boolean cached : new boolean[] {false, true}) {
      try (Envelope honest = holder(cached, committedHolder);
          Envelope other = holder(cached, otherHolder)) {
        assertThat(honest.decrypt(c.message(), CTX)).as("cached=%s", cached).isEqualTo(committedPlaintext);
        assertThat(readStream(honest, c.message())).isEqualTo(committedPlaintext);
        // The other holder's data key derives another commitment: rejected before any plaintext.
        assertThatThrownBy(() -> other.decrypt(c.message(), CTX)).as("cached=%s", cached)
            .isExactlyInstanceOf(InvalidCiphertextException.class);
        assertThatThrownBy(() -> other.decryptingStream(new ByteArrayInputStream(c.message()), CTX))
            .isExactlyInstanceOf(InvalidCiphertextException.class);
      }
      // A holder of both keys, in either order, never sees the uncommitted plaintext either.
      for (MasterKey[] order : new MasterKey[][] {{a, b}, {b, a}}) {
        try (Envelope both = holder(cached, order)) {
          Throwable t = catchThrowable(() -> assertThat(both.decrypt(c.message(), CTX)).isEqualTo(committedPlaintext));
          if (t != null) {
            assertThat(t).isExactlyInstanceOf(InvalidCiphertextException.class);
          }
        }
      }
    }
  }

  private static Envelope holder(boolean cached, MasterKey... keys) {
    Envelope.Builder builder = Envelope.builder().masterKeys(keys);
    if (cached) {
      builder.dataKeyCache(DataKeyCache.builder().build());
    }
    return builder.build();
  }

  private static byte[] readStream(Envelope env, byte[] message) throws IOException {
    try (InputStream in = env.decryptingStream(new ByteArrayInputStream(message), CTX)) {
      return in.readAllBytes();
    }
  }

  // ---------------------------------------------------------------- the construction

  /** Builds a collision whose commitment field holds data key {@code committedTo}'s commitment. */
  Collision build(int committedTo) {
    for (int attempt = 0; attempt < 64; attempt++) {
      Collision c = tryBuild(committedTo);
      if (c != null) {
        return c;
      }
    }
    throw new AssertionError("no consistent CRC32C fixed point in 64 message ids");
  }

  private Collision tryBuild(int committedTo) {
    byte[] dk1 = bytes(32);
    byte[] dk2 = bytes(32);
    byte[] messageId = bytes(16);
    byte[] okm1 = Gcm.hkdfExpand(dk1, MessageFormat.kdfInfo(MessageFormat.SUITE_AES256_GCM_HKDF_COMMIT, messageId, 0), 64);
    byte[] okm2 = Gcm.hkdfExpand(dk2, MessageFormat.kdfInfo(MessageFormat.SUITE_AES256_GCM_HKDF_COMMIT, messageId, 0), 64);
    byte[] k1 = Arrays.copyOf(okm1, 32);
    byte[] k2 = Arrays.copyOf(okm2, 32);
    byte[] commitment = Arrays.copyOfRange(committedTo == 1 ? okm1 : okm2, 32, 64);
    WrappedKey wrappedA = a.wrap(SecretBytes.copyOf(dk1), CTX);
    WrappedKey wrappedB = b.wrap(SecretBytes.copyOf(dk2), CTX);

    // The padding entry's bytes are last in the middle section; size them so that the free block
    // starts on a 16-byte boundary of the header.
    int padStart = MessageFormat.SEGMENT_SIZE_OFFSET + middle(wrappedA, wrappedB, new byte[16]).length - 16;
    int lead = Math.floorMod(-padStart, 16);
    byte[] padding = new byte[lead + 16];
    byte[] middle = middle(wrappedA, wrappedB, padding);
    int freeOffset = padStart + lead; // in the header
    int freeInMiddle = freeOffset - MessageFormat.SEGMENT_SIZE_OFFSET;
    int headerLength = MessageFormat.headerLength(middle.length);
    int tagOffset = headerLength - Gcm.TAG_LENGTH;
    int commitmentOffset = tagOffset - MessageFormat.COMMITMENT_LENGTH;
    int crcOffset = commitmentOffset - MessageFormat.CHECKSUM_LENGTH;
    int aadBlocks = (tagOffset + 15) / 16;
    int exponent = aadBlocks - freeOffset / 16 + 1;
    Gf128 h1 = Gf128.hashKey(k1);
    Gf128 h2 = Gf128.hashKey(k2);
    Gf128 inverse = h1.pow(exponent).add(h2.pow(exponent)).inverse();
    byte[] header = new byte[headerLength];

    // X(c): the free block that equalises both header tags when the CRC field holds c.
    IntUnaryOperator freeBlockCrc = c -> {
      Gf128 x = freeBlockFor(c, header, middle, freeInMiddle, messageId, crcOffset, commitment, k1, k2, inverse);
      System.arraycopy(x.toBytes(), 0, middle, freeInMiddle, 16);
      return MessageFormat.getInt(writePrefix(header, messageId, middle), crcOffset);
    };
    OptionalInt crc = affineFixedPoint(freeBlockCrc);
    if (crc.isEmpty()) {
      return null;
    }
    Gf128 x = freeBlockFor(crc.getAsInt(), header, middle, freeInMiddle, messageId, crcOffset, commitment, k1, k2,
        inverse);
    System.arraycopy(x.toBytes(), 0, middle, freeInMiddle, 16);
    writePrefix(header, messageId, middle);
    // The affine argument in the class comment, checked rather than trusted:
    assertThat(MessageFormat.getInt(header, crcOffset)).isEqualTo(crc.getAsInt());
    System.arraycopy(commitment, 0, header, commitmentOffset, 32);
    Gf128 tag = Gf128.tag(k1, HEADER_NONCE, header, 0, tagOffset, header, 0, 0);
    assertThat(Gf128.tag(k2, HEADER_NONCE, header, 0, tagOffset, header, 0, 0)).isEqualTo(tag);
    System.arraycopy(tag.toBytes(), 0, header, tagOffset, 16);

    byte[] body = collidingBody(k1, k2);
    byte[] message = Arrays.copyOf(header, headerLength + body.length);
    System.arraycopy(body, 0, message, headerLength, body.length);
    return new Collision(message, headerLength, k1, k2, dk1, dk2);
  }

  private static byte[] middle(WrappedKey wrappedA, WrappedKey wrappedB, byte[] padding) {
    return MessageFormat.headerMiddle(MessageFormat.DEFAULT_SEGMENT_SIZE, CTX.canonicalBytes(),
        List.of(wrappedA, wrappedB, new WrappedKey("pad", "pad", "", padding)));
  }

  /** Version, suite, message id, middle and the CRC32C the format computes over them. */
  private static byte[] writePrefix(byte[] header, byte[] messageId, byte[] middle) {
    MessageFormat.writeHeaderPrefix(header, messageId, middle);
    return header;
  }

  /** X_j = (T_1 + T_2)(X_j = 0, CRC field = c) · (H_1^e + H_2^e)^−1. */
  private static Gf128 freeBlockFor(int crc, byte[] header, byte[] middle, int freeInMiddle, byte[] messageId,
      int crcOffset, byte[] commitment, byte[] k1, byte[] k2, Gf128 inverse) {
    Arrays.fill(middle, freeInMiddle, freeInMiddle + 16, (byte) 0);
    writePrefix(header, messageId, middle);
    MessageFormat.putInt(header, crcOffset, crc);
    System.arraycopy(commitment, 0, header, crcOffset + 4, 32);
    int aadLength = crcOffset + 4 + 32;
    Gf128 t1 = Gf128.tag(k1, HEADER_NONCE, header, 0, aadLength, header, 0, 0);
    Gf128 t2 = Gf128.tag(k2, HEADER_NONCE, header, 0, aadLength, header, 0, 0);
    return t1.add(t2).mul(inverse);
  }

  /**
   * Three ciphertext blocks and a tag valid under both keys: blocks 1–2 decrypt under K1 to
   * {@link #PLAINTEXT_A_PREFIX}; block 3 (exponent 2: it is followed only by the length block) is
   * solved for.
   */
  private static byte[] collidingBody(byte[] k1, byte[] k2) {
    byte[] body = new byte[48 + 16];
    try {
      byte[] sealed = jceEncrypt(k1, BODY_NONCE, new byte[0], PLAINTEXT_A_PREFIX);
      System.arraycopy(sealed, 0, body, 0, 32);
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
    Gf128 t1 = Gf128.tag(k1, BODY_NONCE, body, 0, 0, body, 0, 48);
    Gf128 t2 = Gf128.tag(k2, BODY_NONCE, body, 0, 0, body, 0, 48);
    Gf128 h1 = Gf128.hashKey(k1);
    Gf128 h2 = Gf128.hashKey(k2);
    Gf128 y = t1.add(t2).mul(h1.mul(h1).add(h2.mul(h2)).inverse());
    System.arraycopy(y.toBytes(), 0, body, 32, 16);
    Gf128 tag = Gf128.tag(k1, BODY_NONCE, body, 0, 0, body, 0, 48);
    assertThat(Gf128.tag(k2, BODY_NONCE, body, 0, 0, body, 0, 48)).isEqualTo(tag);
    System.arraycopy(tag.toBytes(), 0, body, 48, 16);
    return body;
  }

  /**
   * A c with f(c) = c, for f affine over GF(2)^32: f(c) = f(0) + M·c with column i of M equal to
   * f(e_i) + f(0), so (M + I)·c = f(0). Gauss–Jordan elimination on 32 rows of 32 bits; free
   * variables are set to 0.
   */
  static OptionalInt affineFixedPoint(IntUnaryOperator f) {
    int f0 = f.applyAsInt(0);
    int[] column = new int[32];
    for (int i = 0; i < 32; i++) {
      column[i] = f.applyAsInt(1 << i) ^ f0;
    }
    int[] rows = new int[32]; // row r: bit i = coefficient of c_i in output bit r
    int[] rhs = new int[32];
    for (int r = 0; r < 32; r++) {
      for (int i = 0; i < 32; i++) {
        int coefficient = ((column[i] >>> r) & 1) ^ (r == i ? 1 : 0);
        rows[r] |= coefficient << i;
      }
      rhs[r] = (f0 >>> r) & 1;
    }
    int[] pivotColumn = new int[32];
    int rank = 0;
    for (int col = 0; col < 32 && rank < 32; col++) {
      int pivot = -1;
      for (int r = rank; r < 32; r++) {
        if (((rows[r] >>> col) & 1) != 0) {
          pivot = r;
          break;
        }
      }
      if (pivot < 0) {
        continue;
      }
      swap(rows, pivot, rank);
      swap(rhs, pivot, rank);
      for (int r = 0; r < 32; r++) {
        if (r != rank && ((rows[r] >>> col) & 1) != 0) {
          rows[r] ^= rows[rank];
          rhs[r] ^= rhs[rank];
        }
      }
      pivotColumn[rank++] = col;
    }
    for (int r = rank; r < 32; r++) {
      if (rhs[r] != 0) {
        return OptionalInt.empty();
      }
    }
    int c = 0;
    for (int r = 0; r < rank; r++) {
      c |= rhs[r] << pivotColumn[r];
    }
    return OptionalInt.of(c);
  }

  @Test
  void affineFixedPoint_solvesOrReportsNoSolution() {
    // f(c) = c ^ 5 has no fixed point; f(c) = rotl(c, 1) ^ k has one (M + I is singular for a
    // rotation, so this also exercises free variables and consistency).
    assertThat(affineFixedPoint(c -> c ^ 5)).isEmpty();
    assertThat(affineFixedPoint(c -> 0x1234_5678)).hasValue(0x1234_5678);
    for (int k : new int[] {0, 1, 0b11, 0b111, 0xFFFF_FFFF}) {
      OptionalInt c = affineFixedPoint(x -> Integer.rotateLeft(x, 1) ^ k);
      // rotl(c,1) ^ c = k needs an even number of one bits in k.
      if (Integer.bitCount(k) % 2 == 0) {
        assertThat(c).isPresent();
        assertThat(Integer.rotateLeft(c.getAsInt(), 1) ^ k).isEqualTo(c.getAsInt());
      } else {
        assertThat(c).isEmpty();
      }
    }
  }

  private static void swap(int[] a, int i, int j) {
    int t = a[i];
    a[i] = a[j];
    a[j] = t;
  }

  private byte[] bytes(int n) {
    byte[] out = new byte[n];
    random.nextBytes(out);
    return out;
  }

  private static byte[] jceEncrypt(byte[] key, byte[] nonce, byte[] aad, byte[] plaintext)
      throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
    c.updateAAD(aad);
    return c.doFinal(plaintext);
  }

  private static byte[] jceDecrypt(byte[] key, byte[] nonce, byte[] aad, byte[] sealed) throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
    c.updateAAD(aad);
    return c.doFinal(sealed);
  }
}
