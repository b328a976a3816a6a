package dev.envelope.core.internal.field;

import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.internal.Gcm;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The field hot path (docs/fields.md §2): one AES-256-GCM operation with a per-thread
 * {@link Cipher}, writing straight into the one output array. Re-initialising a Cipher with the
 * same key lets the JDK keep its AES key schedule, so warm calls cost about one raw AEAD call.
 */
public final class FieldCipher {
  private static final ThreadLocal<PerThread> STATE = ThreadLocal.withInitial(PerThread::new);

  private static final class PerThread {
    final Cipher cipher;
    final Mac mac;
    final byte[] nonce = new byte[Gcm.NONCE_LENGTH];
    final byte[] macOut = new byte[32];

    PerThread() {
      try {
        cipher = Cipher.getInstance("AES/GCM/NoPadding");
        mac = Mac.getInstance("HmacSHA256");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES/GCM/NoPadding or HmacSHA256 is not available", e);
      }
    }
  }

  private FieldCipher() {}

  /**
   * §2: {@code 0x01 || id || nonce || AES-GCM(key, nonce, plaintext, aad = 0x01 || id || context)}.
   *
   * @param context the canonical encryption context (docs/format.md §2), not modified
   * @return the field value, or null if {@code key} was destroyed meanwhile (retry with a live key)
   */
  public static byte[] seal(FieldKey key, long id, byte[] plaintext, byte[] context) {
    long stamp = key.open();
    if (stamp == 0L) {
      return null;
    }
    PerThread t = STATE.get();
    byte[] out = new byte[FieldFormat.OVERHEAD + plaintext.length];
    out[0] = FieldFormat.VERSION;
    FieldFormat.writeLong(out, FieldFormat.ID_OFFSET, id);
    Gcm.randomBytes(t.nonce);
    System.arraycopy(t.nonce, 0, out, FieldFormat.NONCE_OFFSET, Gcm.NONCE_LENGTH);
    Cipher c = t.cipher;
    try {
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(Gcm.TAG_LENGTH * 8, t.nonce));
      // §2.2: AAD = version || id || context; two updateAAD calls equal one over the concatenation.
      c.updateAAD(out, 0, FieldFormat.NONCE_OFFSET);
      c.updateAAD(context);
      c.doFinal(plaintext, 0, plaintext.length, out, FieldFormat.HEADER_LENGTH);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM encryption failed", e);
    }
    return key.stillValid(stamp) ? out : null;
  }

  /**
   * §2.4 steps 5–6: decrypts a value whose header was already checked.
   *
   * @return the plaintext, or null if {@code key} was destroyed meanwhile (retry with a live key)
   * @throws InvalidCiphertextException if the tag does not verify
   */
  public static byte[] open(FieldKey key, byte[] value, byte[] context) {
    long stamp = key.open();
    if (stamp == 0L) {
      return null;
    }
    Cipher c = STATE.get().cipher;
    byte[] out = new byte[value.length - FieldFormat.OVERHEAD];
    try {
      c.init(Cipher.DECRYPT_MODE, key,
          new GCMParameterSpec(Gcm.TAG_LENGTH * 8, value, FieldFormat.NONCE_OFFSET, Gcm.NONCE_LENGTH));
      c.updateAAD(value, 0, FieldFormat.NONCE_OFFSET);
      c.updateAAD(context);
      c.doFinal(value, FieldFormat.HEADER_LENGTH, value.length - FieldFormat.HEADER_LENGTH, out, 0);
    } catch (AEADBadTagException e) {
      Arrays.fill(out, (byte) 0);
      if (!key.stillValid(stamp)) {
        return null;
      }
      throw new InvalidCiphertextException();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM decryption failed", e);
    }
    if (!key.stillValid(stamp)) {
      Arrays.fill(out, (byte) 0);
      return null;
    }
    return out;
  }

  /**
   * §5.3: HMAC-SHA256 of {@code data} truncated to {@code length} bytes.
   *
   * @return the token, or null if {@code key} was destroyed meanwhile
   */
  public static byte[] hmac(FieldKey key, byte[] data, int length) {
    long stamp = key.open();
    if (stamp == 0L) {
      return null;
    }
    PerThread t = STATE.get();
    try {
      t.mac.init(key);
      t.mac.update(data);
      t.mac.doFinal(t.macOut, 0);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA256 failed", e);
    }
    byte[] token = Arrays.copyOf(t.macOut, length);
    Arrays.fill(t.macOut, (byte) 0);
    return key.stillValid(stamp) ? token : null;
  }
}
