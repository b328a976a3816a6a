package dev.envelope.core.internal;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM and HKDF-SHA256 on the JDK provider, with one {@link Cipher} and {@link Mac} per
 * thread: {@code Cipher.getInstance} costs more than encrypting 100 bytes.
 */
public final class Gcm {
  public static final int KEY_LENGTH = 32;
  public static final int NONCE_LENGTH = 12;
  public static final int TAG_LENGTH = 16;

  private static final ThreadLocal<Cipher> CIPHER = ThreadLocal.withInitial(() -> {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES/GCM/NoPadding is not available", e);
    }
  });
  private static final ThreadLocal<Mac> HMAC = ThreadLocal.withInitial(() -> {
    try {
      return Mac.getInstance("HmacSHA256");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  });
  private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(Gcm::newRandom);
  private static final ThreadLocal<PublicRandom> PUBLIC_RANDOM = ThreadLocal.withInitial(PublicRandom::new);

  /**
   * A per-thread block of DRBG output, handed out in slices: one DRBG call per 32 message ids
   * instead of one per message (a 16-byte DRBG request cost about as much as the 100-byte AES-GCM
   * encryption it prefixes). Each byte is handed out once.
   */
  private static final class PublicRandom {
    final byte[] block = new byte[512];
    int next = block.length;
  }

  private Gcm() {}

  private static SecureRandom newRandom() {
    try {
      // A per-thread DRBG avoids the global lock of the default NativePRNG on hot paths.
      return SecureRandom.getInstance("DRBG");
    } catch (GeneralSecurityException e) {
      return new SecureRandom();
    }
  }

  /** Fills {@code out} with cryptographically strong random bytes. */
  public static void randomBytes(byte[] out) {
    RANDOM.get().nextBytes(out);
  }

  /**
   * Fills {@code out} (at most 512 bytes) with DRBG output for a value that is public once written,
   * such as a message id. Served from a per-thread block drawn ahead of use, so it must never be
   * used for keys or anything else that must stay secret.
   */
  public static void publicRandomBytes(byte[] out) {
    PublicRandom r = PUBLIC_RANDOM.get();
    if (out.length > r.block.length) {
      throw new IllegalArgumentException("at most " + r.block.length + " bytes");
    }
    if (r.next + out.length > r.block.length) {
      RANDOM.get().nextBytes(r.block);
      r.next = 0;
    }
    System.arraycopy(r.block, r.next, out, 0, out.length);
    r.next += out.length;
  }

  public static SecretKeySpec aesKey(byte[] key) {
    if (key.length != KEY_LENGTH) {
      throw new IllegalArgumentException("AES-256 key must be 32 bytes");
    }
    return new SecretKeySpec(key, "AES");
  }

  /**
   * Encrypts {@code in[inOff, inOff+len)} into {@code out} at {@code outOff}; writes len + 16
   * bytes.
   */
  public static void encrypt(SecretKeySpec key, byte[] nonce, byte[] aad, byte[] in, int inOff, int len,
      byte[] out, int outOff) {
    Cipher c = CIPHER.get();
    try {
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
      if (aad != null && aad.length > 0) {
        c.updateAAD(aad);
      }
      c.doFinal(in, inOff, len, out, outOff);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  /** Like {@link #encrypt} with AAD taken from a slice of an array. */
  public static void encrypt(SecretKeySpec key, byte[] nonce, byte[] aad, int aadOff, int aadLen,
      byte[] in, int inOff, int len, byte[] out, int outOff) {
    Cipher c = CIPHER.get();
    try {
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
      if (aadLen > 0) {
        c.updateAAD(aad, aadOff, aadLen);
      }
      c.doFinal(in, inOff, len, out, outOff);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
  }

  /**
   * Decrypts {@code in[inOff, inOff+len)} (ciphertext and tag) into {@code out}; writes len - 16
   * bytes.
   *
   * @return false if the tag does not verify (nothing usable was written)
   */
  public static boolean decrypt(SecretKeySpec key, byte[] nonce, byte[] aad, int aadOff, int aadLen,
      byte[] in, int inOff, int len, byte[] out, int outOff) {
    if (len < TAG_LENGTH) {
      return false;
    }
    Cipher c = CIPHER.get();
    try {
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
      if (aadLen > 0) {
        c.updateAAD(aad, aadOff, aadLen);
      }
      c.doFinal(in, inOff, len, out, outOff);
      return true;
    } catch (AEADBadTagException e) {
      return false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM decryption failed", e);
    }
  }

  /**
   * HKDF-Expand (RFC 5869 §2.3) with SHA-256 for at most 64 bytes. The caller's PRK is a uniformly
   * random data key, for which RFC 5869 §3.3 allows skipping HKDF-Extract.
   */
  public static byte[] hkdfExpand(byte[] prk, byte[] info, int length) {
    if (length <= 0 || length > 64) {
      throw new IllegalArgumentException("length must be 1..64");
    }
    Mac mac = HMAC.get();
    try {
      mac.init(new SecretKeySpec(prk, "HmacSHA256"));
      byte[] out = new byte[length];
      mac.update(info);
      mac.update((byte) 1);
      byte[] t1 = mac.doFinal();
      System.arraycopy(t1, 0, out, 0, Math.min(32, length));
      if (length > 32) {
        mac.update(t1);
        mac.update(info);
        mac.update((byte) 2);
        byte[] t2 = mac.doFinal();
        System.arraycopy(t2, 0, out, 32, length - 32);
        java.util.Arrays.fill(t2, (byte) 0);
      }
      java.util.Arrays.fill(t1, (byte) 0);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HKDF failed", e);
    }
  }

  /** HMAC-SHA256 of {@code data} under {@code key}. */
  public static byte[] hmacSha256(byte[] key, byte[] data) {
    Mac mac = HMAC.get();
    try {
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      return mac.doFinal(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC failed", e);
    }
  }
}
