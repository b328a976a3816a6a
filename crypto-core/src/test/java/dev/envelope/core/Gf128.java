package dev.envelope.core;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * An element of GF(2^128) in GCM's bit order (NIST SP 800-38D §6.3): bit 0 of the field element,
 * the coefficient of x^0, is the most significant bit of byte 0; the field polynomial is
 * x^128 + x^7 + x^2 + x + 1. Test code only, written for the key-commitment attack test: it is
 * slow, not constant time, and never used to encrypt anything.
 *
 * @param hi bytes 0..7 of the block, big-endian
 * @param lo bytes 8..15 of the block, big-endian
 */
record Gf128(long hi, long lo) {
  static final Gf128 ZERO = new Gf128(0, 0);
  /** x^0: the top bit of byte 0. */
  static final Gf128 ONE = new Gf128(Long.MIN_VALUE, 0);
  /** x^128 reduced, shifted into GCM's reflected order: 1 + x + x^2 + x^7 → 0xE1 in byte 0. */
  private static final long R = 0xE100000000000000L;

  static Gf128 of(byte[] b, int off) {
    ByteBuffer buf = ByteBuffer.wrap(b, off, 16);
    return new Gf128(buf.getLong(), buf.getLong());
  }

  byte[] toBytes() {
    return ByteBuffer.allocate(16).putLong(hi).putLong(lo).array();
  }

  Gf128 add(Gf128 o) {
    return new Gf128(hi ^ o.hi, lo ^ o.lo);
  }

  /** SP 800-38D Algorithm 1: shift-and-add, where "shift right" multiplies by x. */
  Gf128 mul(Gf128 y) {
    long zh = 0;
    long zl = 0;
    long vh = y.hi;
    long vl = y.lo;
    for (int i = 0; i < 128; i++) {
      long bit = i < 64 ? (hi >>> (63 - i)) & 1 : (lo >>> (127 - i)) & 1;
      if (bit != 0) {
        zh ^= vh;
        zl ^= vl;
      }
      boolean carry = (vl & 1) != 0;
      vl = (vl >>> 1) | (vh << 63);
      vh >>>= 1;
      if (carry) {
        vh ^= R;
      }
    }
    return new Gf128(zh, zl);
  }

  Gf128 pow(long e) {
    Gf128 result = ONE;
    Gf128 base = this;
    while (e != 0) {
      if ((e & 1) != 0) {
        result = result.mul(base);
      }
      base = base.mul(base);
      e >>>= 1;
    }
    return result;
  }

  /**
   * The inverse by Fermat: the multiplicative group has order 2^128 − 1, so a^(2^128 − 2) = a^−1.
   * 2^128 − 2 is 127 one bits followed by a zero: build a^(2^k − 1) by r ← r²·a, then square once.
   */
  Gf128 inverse() {
    if (equals(ZERO)) {
      throw new ArithmeticException("zero has no inverse");
    }
    Gf128 r = this;
    for (int k = 1; k < 127; k++) {
      r = r.mul(r).mul(this);
    }
    return r.mul(r);
  }

  /**
   * GHASH_H(A, C) (SP 800-38D §6.4, §7.1): A and C each zero-padded to whole blocks, then the block
   * len(A) || len(C) in bits. Equivalently Σ X_i · H^(m−i+1) over the m blocks X_1..X_m.
   */
  static Gf128 ghash(Gf128 h, byte[] aad, int aadOff, int aadLen, byte[] ct, int ctOff, int ctLen) {
    Gf128 y = ZERO;
    y = absorb(y, h, aad, aadOff, aadLen);
    y = absorb(y, h, ct, ctOff, ctLen);
    return y.add(new Gf128((long) aadLen * 8, (long) ctLen * 8)).mul(h);
  }

  private static Gf128 absorb(Gf128 y, Gf128 h, byte[] b, int off, int len) {
    for (int i = 0; i < len; i += 16) {
      byte[] block = new byte[16];
      System.arraycopy(b, off + i, block, 0, Math.min(16, len - i));
      y = y.add(of(block, 0)).mul(h);
    }
    return y;
  }

  /** AES-256 of one block (ECB on one block is just the block cipher). */
  static byte[] aes(byte[] key, byte[] block) {
    try {
      Cipher c = Cipher.getInstance("AES/ECB/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, 0, 32, "AES"));
      return c.doFinal(block);
    } catch (GeneralSecurityException e) {
      throw new AssertionError(e);
    }
  }

  /** The hash key H = AES_K(0^128). */
  static Gf128 hashKey(byte[] key) {
    return of(aes(key, new byte[16]), 0);
  }

  /** The GCM tag for a 96-bit nonce: AES_K(nonce || 0^31 || 1) ⊕ GHASH_H(A, C). */
  static Gf128 tag(byte[] key, byte[] nonce, byte[] aad, int aadOff, int aadLen, byte[] ct, int ctOff, int ctLen) {
    byte[] j0 = new byte[16];
    System.arraycopy(nonce, 0, j0, 0, 12);
    j0[15] = 1;
    return of(aes(key, j0), 0).add(ghash(hashKey(key), aad, aadOff, aadLen, ct, ctOff, ctLen));
  }
}
