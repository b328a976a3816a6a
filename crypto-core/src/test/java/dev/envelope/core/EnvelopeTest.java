package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EnvelopeTest {
  static final int SEGMENT = 64 * 1024;
  static final EncryptionContext CTX = EncryptionContext.of("tenant", "42", "purpose", "invoice");

  final CountingMasterKey key = new CountingMasterKey("k1");

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new Random(n).nextBytes(b);
    return b;
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * 1024 * 1024})
  void encrypt_anySize_roundTrips(int size) {
    try (Envelope env = Envelope.builder().masterKeys(key).build()) {
      byte[] pt = random(size);
      byte[] ct = env.encrypt(pt, CTX);
      assertThat(env.decrypt(ct, CTX)).isEqualTo(pt);
      assertThat(Envelope.inspect(ct).plaintextLength()).isEqualTo(size);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * 1024 * 1024})
  void encryptingStream_anySize_roundTripsAndMatchesArrayFormat(int size) throws IOException {
    try (Envelope env = Envelope.builder().masterKeys(key).build()) {
      byte[] pt = random(size);
      ByteArrayOutputStream sink = new ByteArrayOutputStream();
      try (OutputStream out = env.encryptingStream(sink, CTX)) {
        // Odd write sizes cross segment boundaries at every offset.
        int off = 0;
        int step = 1;
        while (off < pt.length) {
          int n = Math.min(step, pt.length - off);
          out.write(pt, off, n);
          off += n;
          step = step * 3 + 1;
        }
      }
      byte[] ct = sink.toByteArray();
      assertThat(env.decrypt(ct, CTX)).isEqualTo(pt);
      try (InputStream in = env.decryptingStream(new ByteArrayInputStream(ct), CTX)) {
        assertThat(in.readAllBytes()).isEqualTo(pt);
      }
    }
  }

  @Test
  void decrypt_wrongMissingOrExtraContext_isInvalidCiphertext() {
    try (Envelope env = Envelope.builder().masterKeys(key).build()) {
      byte[] ct = env.encrypt(random(100), CTX);
      for (EncryptionContext wrong : new EncryptionContext[] {
          EncryptionContext.of("tenant", "43", "purpose", "invoice"),
          EncryptionContext.of("tenant", "42"),
          EncryptionContext.of("tenant", "42", "purpose", "invoice", "x", "y"),
          EncryptionContext.empty()}) {
        assertThatThrownBy(() -> env.decrypt(ct, wrong)).isExactlyInstanceOf(InvalidCiphertextException.class)
            .hasMessage(InvalidCiphertextException.MESSAGE);
      }
      // Same pairs in another order: canonical, so it decrypts.
      assertThat(env.decrypt(ct, EncryptionContext.of("purpose", "invoice", "tenant", "42"))).hasSize(100);
    }
  }

  @Test
  void decrypt_keyNotInKeyring_isKeyUnavailableWithoutAnyKmsCall() {
    CountingMasterKey other = new CountingMasterKey("other");
    byte[] ct;
    try (Envelope env = Envelope.builder().masterKeys(key).build()) {
      ct = env.encrypt(random(10), CTX);
    }
    try (Envelope env = Envelope.builder().masterKeys(other).build()) {
      assertThatThrownBy(() -> env.decrypt(ct, CTX)).isExactlyInstanceOf(KeyUnavailableException.class)
          .hasMessageContaining("test:k1");
      assertThat(other.unwraps).hasValue(0);
    }
  }

  @Test
  void encrypt_multipleMasterKeys_eachAloneDecrypts() {
    CountingMasterKey k2 = new CountingMasterKey("k2");
    CountingMasterKey k3 = new CountingMasterKey("k3");
    byte[] pt = random(1000);
    byte[] ct;
    try (Envelope env = Envelope.builder().masterKeys(key, k2, k3).build()) {
      ct = env.encrypt(pt, CTX);
    }
    assertThat(Envelope.inspect(ct).keys()).extracting(WrappedKey::keyId).containsExactly("k1", "k2", "k3");
    for (CountingMasterKey alone : new CountingMasterKey[] {key, k2, k3}) {
      try (Envelope env = Envelope.builder().masterKeys(alone).build()) {
        assertThat(env.decrypt(ct, CTX)).isEqualTo(pt);
      }
    }
  }

  @Test
  void decryptingStream_droppedTruncatedOrExtendedSegments_fail() throws IOException {
    // Reordered segments: AdversarialMessageTest (every permutation).
    int seg = 64;
    try (Envelope env = Envelope.builder().masterKeys(key).segmentSize(seg).build()) {
      byte[] pt = random(seg * 3 + 10);
      byte[] ct = env.encrypt(pt, CTX);
      int header = Envelope.inspect(ct).headerLength();
      int sealed = seg + 16;
      byte[] dropped = new byte[ct.length - sealed];
      System.arraycopy(ct, 0, dropped, 0, header + sealed);
      System.arraycopy(ct, header + 2 * sealed, dropped, header + sealed, ct.length - header - 2 * sealed);
      byte[] truncatedAtBoundary = Arrays.copyOf(ct, header + 3 * sealed);
      byte[] extended = Arrays.copyOf(ct, ct.length + 16);
      for (byte[] bad : new byte[][] {dropped, truncatedAtBoundary, extended}) {
        InputStream in = env.decryptingStream(new ByteArrayInputStream(bad), CTX);
        assertThatThrownBy(in::readAllBytes).isExactlyInstanceOf(InvalidCiphertextException.class);
        assertThatThrownBy(() -> env.decrypt(bad, CTX)).isExactlyInstanceOf(InvalidCiphertextException.class);
      }
    }
  }

  @Test
  void decryptingStream_tamperedLaterSegment_releasesOnlyAuthenticatedSegments() throws IOException {
    int seg = 64;
    try (Envelope env = Envelope.builder().masterKeys(key).segmentSize(seg).build()) {
      byte[] pt = random(seg * 3);
      byte[] ct = env.encrypt(pt, CTX);
      int header = Envelope.inspect(ct).headerLength();
      ct[header + (seg + 16) + 5] ^= 1; // second segment
      InputStream in = env.decryptingStream(new ByteArrayInputStream(ct), CTX);
      byte[] got = new byte[seg];
      assertThat(in.readNBytes(got, 0, seg)).isEqualTo(seg);
      assertThat(got).isEqualTo(Arrays.copyOf(pt, seg));
      assertThatThrownBy(() -> in.read(new byte[1])).isExactlyInstanceOf(InvalidCiphertextException.class);
      assertThatThrownBy(() -> in.read(new byte[1])).isExactlyInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void rewrap_newMasterKey_oldKeyNoLongerNeeded() {
    CountingMasterKey newKey = new CountingMasterKey("new");
    byte[] pt = random(300);
    byte[] ct;
    try (Envelope old = Envelope.builder().masterKeys(key).build()) {
      ct = old.encrypt(pt, CTX);
    }
    byte[] rewrapped;
    try (Envelope migrate = Envelope.builder().masterKeys(newKey).alsoDecryptWith(key).build()) {
      rewrapped = migrate.rewrap(ct, CTX);
    }
    assertThat(Envelope.inspect(rewrapped).keys()).extracting(WrappedKey::keyId).containsExactly("new");
    assertThat(Arrays.copyOfRange(rewrapped, rewrapped.length - 316, rewrapped.length))
        .isEqualTo(Arrays.copyOfRange(ct, ct.length - 316, ct.length));
    try (Envelope env = Envelope.builder().masterKeys(newKey).build()) {
      assertThat(env.decrypt(rewrapped, CTX)).isEqualTo(pt);
    }
    byte[] tampered = ct.clone();
    tampered[tampered.length - 1] ^= 1; // body tamper survives rewrap but fails decrypt
    try (Envelope migrate = Envelope.builder().masterKeys(newKey).alsoDecryptWith(key).build()) {
      byte[] out = migrate.rewrap(tampered, CTX);
      assertThatThrownBy(() -> migrate.decrypt(out, CTX)).isExactlyInstanceOf(InvalidCiphertextException.class);
      byte[] badHeader = ct.clone();
      badHeader[Envelope.inspect(ct).headerLength() - 1] ^= 1;
      assertThatThrownBy(() -> migrate.rewrap(badHeader, CTX)).isExactlyInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void encryptAsync_roundTrips() throws Exception {
    try (Envelope env = Envelope.builder().masterKeys(key).build()) {
      byte[] pt = random(77);
      byte[] ct = env.encryptAsync(pt, CTX).get();
      assertThat(env.decryptAsync(ct, CTX).get()).isEqualTo(pt);
    }
  }

  @Test
  void toStrings_neverShowContextValuesOrKeys() {
    EncryptionContext ctx = EncryptionContext.of("ssn", "123-45-6789");
    assertThat(ctx.toString()).contains("ssn").doesNotContain("123-45-6789");
    SecretBytes s = SecretBytes.copyOf(new byte[] {1, 2, 3});
    assertThat(s.toString()).doesNotContain("1, 2, 3").contains("redacted");
    try (Envelope env = Envelope.builder().masterKeys(key).build()) {
      MessageInfo info = Envelope.inspect(env.encrypt(new byte[1], ctx));
      assertThat(info.toString()).doesNotContain("123-45-6789");
    }
  }

  @Test
  void builder_invalidSettings_areRejected() {
    assertThatThrownBy(() -> Envelope.builder().build()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> Envelope.builder().segmentSize(10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EncryptionContext.of("envelope:x", "y")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EncryptionContext.of("a")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> EncryptionContext.of("a", "\uD800")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void decrypt_headerRekeyedToAttackersDataKey_isRejectedForBothHolders() throws Exception {
    // An attacker with key B re-keys a victim's message: B's entry wraps the attacker's data key,
    // with a commitment and header tag made for that data key, over the victim's body. Neither
    // holder may get a plaintext. (This does not isolate the commitment check: the GCM
    // multi-key collision that needs it is KeyCommitmentCollisionTest; see also
    // decrypt_commitmentAlone_isChecked.)
    CountingMasterKey b = new CountingMasterKey("b");
    byte[] ct;
    try (Envelope env = Envelope.builder().masterKeys(key, b).build()) {
      ct = env.encrypt(random(100), CTX);
    }
    dev.envelope.core.internal.MessageFormat.Header h =
        dev.envelope.core.internal.MessageFormat.parse(ct, 0, ct.length);
    byte[] attackerKey = random(32);
    WrappedKey forged = b.wrap(SecretBytes.copyOf(attackerKey), CTX);
    byte[] middle = dev.envelope.core.internal.MessageFormat.headerMiddle(h.segmentSize(), CTX.canonicalBytes(),
        java.util.List.of(h.keys().get(0), forged));
    int headerLength = dev.envelope.core.internal.MessageFormat.headerLength(middle.length);
    byte[] out = new byte[headerLength + ct.length - h.length()];
    int commitmentOffset = dev.envelope.core.internal.MessageFormat.writeHeaderPrefix(out, h.messageId(), middle);
    byte[] okm = dev.envelope.core.internal.Gcm.hkdfExpand(attackerKey,
        dev.envelope.core.internal.MessageFormat.kdfInfo(h.suite(), h.messageId(), 0), 64);
    System.arraycopy(okm, 32, out, commitmentOffset, 32);
    int tagOffset = commitmentOffset + 32;
    dev.envelope.core.internal.Gcm.encrypt(new javax.crypto.spec.SecretKeySpec(okm, 0, 32, "AES"),
        dev.envelope.core.internal.MessageFormat.nonce(0, 0), out, 0, tagOffset, out, 0, 0, out, tagOffset);
    System.arraycopy(ct, h.length(), out, headerLength, ct.length - h.length());
    try (Envelope victimA = Envelope.builder().masterKeys(key).build();
        Envelope holderB = Envelope.builder().masterKeys(b).build()) {
      // A's holder: A's entry unwraps A's data key, whose commitment no longer matches.
      assertThatThrownBy(() -> victimA.decrypt(out, CTX)).isExactlyInstanceOf(InvalidCiphertextException.class);
      // B's holder: header authenticates under B's data key, but the body was not made with it.
      assertThatThrownBy(() -> holderB.decrypt(out, CTX)).isExactlyInstanceOf(InvalidCiphertextException.class);
    }
  }

  @Test
  void decrypt_commitmentAlone_isChecked() throws Exception {
    // The cache keeps the data key alive (and readable by the test) after encrypt.
    try (Envelope env = Envelope.builder().masterKeys(key).dataKeyCache(DataKeyCache.builder().build()).build()) {
      byte[] ct = env.encrypt(random(40), CTX);
      byte[] dataKey = key.generated.get(0).toByteArray();
      dev.envelope.core.internal.MessageFormat.Header h = dev.envelope.core.internal.MessageFormat.parse(ct, 0, ct.length);
      byte[] okm = dev.envelope.core.internal.Gcm.hkdfExpand(dataKey,
          dev.envelope.core.internal.MessageFormat.kdfInfo(h.suite(), h.messageId(), 0), 64);
      javax.crypto.spec.SecretKeySpec contentKey = new javax.crypto.spec.SecretKeySpec(okm, 0, 32, "AES");
      int tagOffset = h.length() - 16;
      for (int i = tagOffset - 32; i < tagOffset; i++) {
        byte[] bad = ct.clone();
        bad[i] ^= 0x01;
        // Re-authenticate the header with the right content key: only the commitment check is left
        // to notice that the stored commitment is not the one this data key derives.
        retag(contentKey, bad, tagOffset);
        assertThatThrownBy(() -> env.decrypt(bad, CTX)).isExactlyInstanceOf(InvalidCiphertextException.class);
      }
      byte[] control = ct.clone();
      retag(contentKey, control, tagOffset);
      assertThat(env.decrypt(control, CTX)).hasSize(40);
    }
  }

  /** Recomputes the header tag with a fresh Cipher (the JDK refuses key+IV reuse on one instance). */
  private static void retag(javax.crypto.spec.SecretKeySpec contentKey, byte[] message, int tagOffset) throws Exception {
    javax.crypto.Cipher c = javax.crypto.Cipher.getInstance("AES/GCM/NoPadding");
    c.init(javax.crypto.Cipher.ENCRYPT_MODE, contentKey,
        new javax.crypto.spec.GCMParameterSpec(128, dev.envelope.core.internal.MessageFormat.nonce(0, 0)));
    c.updateAAD(message, 0, tagOffset);
    byte[] tag = c.doFinal();
    System.arraycopy(tag, 0, message, tagOffset, 16);
  }
}
