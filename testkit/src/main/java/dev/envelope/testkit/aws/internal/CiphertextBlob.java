package dev.envelope.testkit.aws.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * The fake's KMS ciphertext blob. Opaque to clients, like the real one, but it carries what KMS
 * needs to find the key again:
 *
 * <pre>
 * "EKF1" | u8 key-id length | key id (ASCII) | u16 backing-key version | 12-byte nonce | AES-256-GCM ciphertext and tag
 * </pre>
 *
 * The key id is the bare id ({@code 1234abcd-…} or {@code mrk-…}), not an ARN, so a multi-Region
 * key's ciphertext names every replica. The AAD is everything before the nonce followed by the
 * canonical encryption context: a u32 pair count, then each pair in unsigned-byte order of the
 * UTF-8 keys as u32 length + UTF-8 key, u32 length + UTF-8 value (all big-endian). A blob decrypts
 * only under the same key and version with exactly the same context.
 */
final class CiphertextBlob {
  static final byte[] MAGIC = {'E', 'K', 'F', '1'};
  static final int NONCE_LENGTH = 12;
  static final int TAG_LENGTH = 16;
  static final int MAX_KEY_ID_LENGTH = 64;

  final String keyId;
  final int version;
  private final byte[] header;
  private final byte[] nonce;
  private final byte[] sealed;

  private CiphertextBlob(String keyId, int version, byte[] header, byte[] nonce, byte[] sealed) {
    this.keyId = keyId;
    this.version = version;
    this.header = header;
    this.nonce = nonce;
    this.sealed = sealed;
  }

  static byte[] seal(String keyId, int version, SecretKey key, byte[] plaintext, Map<String, String> context,
      SecureRandom random) {
    byte[] header = header(keyId, version);
    byte[] nonce = new byte[NONCE_LENGTH];
    random.nextBytes(nonce);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
      c.updateAAD(header);
      c.updateAAD(canonical(context));
      byte[] ct = c.doFinal(plaintext);
      return ByteBuffer.allocate(header.length + NONCE_LENGTH + ct.length).put(header).put(nonce).put(ct).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  /** Parses the framing only; null if {@code blob} is not one of ours. */
  static CiphertextBlob parse(byte[] blob) {
    ByteBuffer in = ByteBuffer.wrap(blob);
    if (blob.length < MAGIC.length + 1) {
      return null;
    }
    byte[] magic = new byte[MAGIC.length];
    in.get(magic);
    if (!Arrays.equals(magic, MAGIC)) {
      return null;
    }
    int idLength = Byte.toUnsignedInt(in.get());
    if (idLength == 0 || idLength > MAX_KEY_ID_LENGTH || in.remaining() < idLength + 2 + NONCE_LENGTH + TAG_LENGTH) {
      return null;
    }
    byte[] id = new byte[idLength];
    in.get(id);
    for (byte b : id) {
      if (b < 0x21 || b > 0x7e) {
        return null;
      }
    }
    int version = Short.toUnsignedInt(in.getShort());
    byte[] header = Arrays.copyOf(blob, in.position());
    byte[] nonce = new byte[NONCE_LENGTH];
    in.get(nonce);
    byte[] sealed = new byte[in.remaining()];
    in.get(sealed);
    return new CiphertextBlob(new String(id, StandardCharsets.US_ASCII), version, header, nonce, sealed);
  }

  /** The plaintext, or null if the key, version or context does not authenticate. */
  byte[] open(SecretKey key, Map<String, String> context) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_LENGTH * 8, nonce));
      c.updateAAD(header);
      c.updateAAD(canonical(context));
      return c.doFinal(sealed);
    } catch (AEADBadTagException e) {
      return null;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is not available", e);
    }
  }

  private static byte[] header(String keyId, int version) {
    byte[] id = keyId.getBytes(StandardCharsets.US_ASCII);
    if (id.length == 0 || id.length > MAX_KEY_ID_LENGTH || version < 0 || version > 0xFFFF) {
      throw new IllegalArgumentException("bad key id or version");
    }
    return ByteBuffer.allocate(MAGIC.length + 1 + id.length + 2)
        .put(MAGIC).put((byte) id.length).put(id).putShort((short) version).array();
  }

  /** The canonical encryption context described in the class comment. */
  static byte[] canonical(Map<String, String> context) {
    TreeMap<byte[], byte[]> sorted = new TreeMap<>(Arrays::compareUnsigned);
    context.forEach((k, v) -> sorted.put(k.getBytes(StandardCharsets.UTF_8), v.getBytes(StandardCharsets.UTF_8)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeInt(out, sorted.size());
    sorted.forEach((k, v) -> {
      writeInt(out, k.length);
      out.writeBytes(k);
      writeInt(out, v.length);
      out.writeBytes(v);
    });
    return out.toByteArray();
  }

  private static void writeInt(ByteArrayOutputStream out, int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
  }
}
