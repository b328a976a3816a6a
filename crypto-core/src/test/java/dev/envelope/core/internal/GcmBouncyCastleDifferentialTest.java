package dev.envelope.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.envelope.core.ShallowStack;
import java.util.Arrays;
import java.util.Random;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.InvalidCipherTextException;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.engines.AESEngine;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.modes.GCMBlockCipher;
import org.bouncycastle.crypto.modes.GCMModeCipher;
import org.bouncycastle.crypto.params.AEADParameters;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

/**
 * {@link Gcm} (the JDK provider, used for messages, local master-key wraps and key files) against
 * an independent implementation, BouncyCastle's lightweight AES-GCM and HKDF, on seeded random
 * inputs. Plaintext lengths run through 0..300, so every position relative to a 16-byte block
 * boundary occurs many times, with AAD lengths cycling through the block boundaries; inputs and
 * outputs sit at random offsets inside larger arrays, as they do in Envelope's message buffers.
 */
class GcmBouncyCastleDifferentialTest {
  private static final int[] AAD_LENGTHS = {0, 1, 12, 15, 16, 17, 31, 32, 33, 47, 48, 49, 64, 100, 255, 256, 300};

  @Test
  void encryptDecrypt_randomInputsOfEveryLengthTo300_matchBouncyCastleAndRejectEveryTagBitFlip() throws Throwable {
    // 38,000 rejected tags, each an AEADBadTagException with a stack trace: on a shallow stack.
    ShallowStack.run(() -> {
      try {
        compareEveryLength();
      } catch (InvalidCipherTextException e) {
        throw new AssertionError("BouncyCastle rejected Gcm's output", e);
      }
    });
  }

  private static void compareEveryLength() throws InvalidCipherTextException {
    Random r = new Random(0x6C3D);
    for (int len = 0; len <= 300; len++) {
      byte[] key = bytes(r, 32);
      byte[] nonce = bytes(r, 12);
      int aadLength = len % 3 == 2 ? r.nextInt(301) : AAD_LENGTHS[len % AAD_LENGTHS.length];
      byte[] aad = bytes(r, aadLength);
      byte[] plaintext = bytes(r, len);
      SecretKeySpec k = Gcm.aesKey(key);
      byte[] theirs = bouncyCastle(true, key, nonce, aad, plaintext);

      // Gcm, with the AAD, input and output each at an offset inside a larger array.
      int aadOff = r.nextInt(8);
      byte[] aadBuf = bytes(r, aadOff + aadLength + r.nextInt(8));
      System.arraycopy(aad, 0, aadBuf, aadOff, aadLength);
      int inOff = r.nextInt(8);
      byte[] inBuf = bytes(r, inOff + len + r.nextInt(8));
      System.arraycopy(plaintext, 0, inBuf, inOff, len);
      int outOff = r.nextInt(8);
      byte[] outBuf = new byte[outOff + len + Gcm.TAG_LENGTH + r.nextInt(8)];
      Gcm.encrypt(k, nonce, aadBuf, aadOff, aadLength, inBuf, inOff, len, outBuf, outOff);
      byte[] ours = Arrays.copyOfRange(outBuf, outOff, outOff + len + Gcm.TAG_LENGTH);
      assertThat(ours).as("length %d, aad %d", len, aadLength).isEqualTo(theirs);
      byte[] oursWholeAad = new byte[len + Gcm.TAG_LENGTH];
      // The other encrypt overload too; the JDK refuses the same key and nonce twice in a row on
      // one Cipher, so an encryption under another nonce goes in between.
      Gcm.encrypt(k, bytes(r, 12), null, new byte[0], 0, 0, new byte[16], 0);
      Gcm.encrypt(k, nonce, aad, plaintext, 0, len, oursWholeAad, 0);
      assertThat(oursWholeAad).isEqualTo(theirs);

      // Each opens the other's output.
      assertThat(bouncyCastle(false, key, nonce, aad, ours)).isEqualTo(plaintext);
      byte[] opened = new byte[len + 3];
      assertThat(Gcm.decrypt(k, nonce, aadBuf, aadOff, aadLength, theirs, 0, theirs.length, opened, 3)).isTrue();
      assertThat(Arrays.copyOfRange(opened, 3, 3 + len)).isEqualTo(plaintext);

      for (int bit = 0; bit < Gcm.TAG_LENGTH * 8; bit++) {
        byte[] tampered = theirs.clone();
        tampered[len + bit / 8] ^= (byte) (1 << (bit % 8));
        assertThat(Gcm.decrypt(k, nonce, aad, 0, aadLength, tampered, 0, tampered.length, new byte[len], 0))
            .as("length %d, tag bit %d", len, bit).isFalse();
      }
    }
  }

  @Test
  void hkdfExpand_randomKeysAndInfo_matchesBouncyCastle() {
    Random r = new Random(5869);
    for (int length = 1; length <= 64; length++) {
      byte[] prk = bytes(r, 32);
      byte[] info = bytes(r, r.nextInt(64));
      HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
      hkdf.init(HKDFParameters.skipExtractParameters(prk, info));
      byte[] theirs = new byte[length];
      hkdf.generateBytes(theirs, 0, length);
      assertThat(Gcm.hkdfExpand(prk, info, length)).as("length %d", length).isEqualTo(theirs);
    }
  }

  private static byte[] bouncyCastle(boolean encrypt, byte[] key, byte[] nonce, byte[] aad, byte[] in)
      throws InvalidCipherTextException {
    GCMModeCipher gcm = GCMBlockCipher.newInstance(AESEngine.newInstance());
    gcm.init(encrypt, new AEADParameters(new KeyParameter(key), 128, nonce, aad));
    byte[] out = new byte[gcm.getOutputSize(in.length)];
    int n = gcm.processBytes(in, 0, in.length, out, 0);
    n += gcm.doFinal(out, n);
    return Arrays.copyOf(out, n);
  }

  private static byte[] bytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }
}
