package dev.envelope.core.internal;

import dev.envelope.core.WrappedKey;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Message format v1 (docs/format.md §3–§5): header layout, parsing with every length bounded,
 * key derivation labels and segment nonces.
 */
public final class MessageFormat {
  public static final int VERSION = 0x01;
  /** §3.1: AES-256-GCM, HKDF-SHA256 per-message key, 32-byte key commitment. */
  public static final int SUITE_AES256_GCM_HKDF_COMMIT = 0x01;
  public static final int MESSAGE_ID_LENGTH = 16;
  public static final int COMMITMENT_LENGTH = 32;
  public static final int CHECKSUM_LENGTH = 4;
  public static final int MAX_KEYS = 16;
  public static final int MIN_SEGMENT_SIZE = 64;
  public static final int MAX_SEGMENT_SIZE = 4 << 20;
  public static final int DEFAULT_SEGMENT_SIZE = 64 << 10;
  public static final int MAX_CONTEXT_LENGTH = 8192;
  /** Offset of the message id (§3). */
  public static final int MESSAGE_ID_OFFSET = 2;
  /** Offset of the segment size (§3). */
  public static final int SEGMENT_SIZE_OFFSET = MESSAGE_ID_OFFSET + MESSAGE_ID_LENGTH;

  /** §4: HKDF info label. */
  private static final byte[] KDF_LABEL = "ENVELOPE v1 msg".getBytes(StandardCharsets.US_ASCII);

  /** §5: nonce flag values. */
  public static final int FLAG_HEADER = 0;
  public static final int FLAG_SEGMENT = 1;
  public static final int FLAG_FINAL_SEGMENT = 2;

  private MessageFormat() {}

  /** Thrown for any malformed input; callers turn it into InvalidCiphertextException. */
  public static final class MalformedException extends Exception {
    private static final long serialVersionUID = 1L;

    public MalformedException(String why) {
      super(why, null, false, false);
    }
  }

  /** A parsed header; {@code raw[0, authenticatedLength)} is covered by the header tag. */
  public record Header(
      int suite,
      byte[] messageId,
      int segmentSize,
      byte[] context,
      List<WrappedKey> keys,
      byte[] commitment,
      byte[] tag,
      byte[] raw,
      int authenticatedLength) {

    public int length() {
      return raw.length;
    }
  }

  /**
   * §3: the header bytes that depend only on the data key and context, from the segment size to
   * the last key entry. Cached with the data key.
   */
  public static byte[] headerMiddle(int segmentSize, byte[] canonicalContext, List<WrappedKey> keys) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    writeInt(out, segmentSize);
    writeShort(out, canonicalContext.length);
    out.writeBytes(canonicalContext);
    out.write(keys.size());
    for (WrappedKey k : keys) {
      byte[] provider = k.provider().getBytes(StandardCharsets.UTF_8);
      byte[] id = k.keyId().getBytes(StandardCharsets.UTF_8);
      byte[] version = k.version().getBytes(StandardCharsets.UTF_8);
      byte[] ct = k.unsafeCiphertext();
      out.write(provider.length);
      out.writeBytes(provider);
      writeShort(out, id.length);
      out.writeBytes(id);
      writeShort(out, version.length);
      out.writeBytes(version);
      writeShort(out, ct.length);
      out.writeBytes(ct);
    }
    return out.toByteArray();
  }

  /** Total header length for a given middle section. */
  public static int headerLength(int middleLength) {
    return 2 + MESSAGE_ID_LENGTH + middleLength + CHECKSUM_LENGTH + COMMITMENT_LENGTH + Gcm.TAG_LENGTH;
  }

  /**
   * Writes version, suite, message id, middle and checksum into {@code out} from offset 0.
   *
   * @return the offset of the commitment field
   */
  public static int writeHeaderPrefix(byte[] out, byte[] messageId, byte[] middle) {
    out[0] = VERSION;
    out[1] = SUITE_AES256_GCM_HKDF_COMMIT;
    System.arraycopy(messageId, 0, out, MESSAGE_ID_OFFSET, MESSAGE_ID_LENGTH);
    System.arraycopy(middle, 0, out, SEGMENT_SIZE_OFFSET, middle.length);
    int crcOffset = SEGMENT_SIZE_OFFSET + middle.length;
    CRC32C crc = new CRC32C();
    crc.update(out, 0, crcOffset);
    putInt(out, crcOffset, (int) crc.getValue());
    return crcOffset + CHECKSUM_LENGTH;
  }

  /** §4: HKDF info = label || suite || message id. */
  public static byte[] kdfInfo(int suite, byte[] messageId, int idOffset) {
    byte[] info = new byte[KDF_LABEL.length + 1 + MESSAGE_ID_LENGTH];
    System.arraycopy(KDF_LABEL, 0, info, 0, KDF_LABEL.length);
    info[KDF_LABEL.length] = (byte) suite;
    System.arraycopy(messageId, idOffset, info, KDF_LABEL.length + 1, MESSAGE_ID_LENGTH);
    return info;
  }

  /** §5: 12-byte nonce = u32 flag || u64 index. */
  public static byte[] nonce(int flag, long index) {
    byte[] n = new byte[Gcm.NONCE_LENGTH];
    n[3] = (byte) flag;
    for (int i = 0; i < 8; i++) {
      n[4 + i] = (byte) (index >>> (56 - 8 * i));
    }
    return n;
  }

  /** §5: body length for a plaintext length: every segment but the last is full, the last is short. */
  public static long bodyLength(long plaintextLength, int segmentSize) {
    long fullSegments = plaintextLength / segmentSize;
    return plaintextLength + (fullSegments + 1) * Gcm.TAG_LENGTH;
  }

  // ---- parsing (§3), every length bounded before allocation ----

  /** Where the parser reads from; it also answers for the bytes consumed so far. */
  private interface Source {
    void readFully(byte[] b, int off, int len) throws IOException, MalformedException;

    /** CRC32C of every byte consumed so far. */
    int crcSoFar();

    /** A copy of every byte consumed so far. */
    byte[] consumed();
  }

  /** Reads straight from the caller's array: no intermediate copy of the header. */
  private static final class ArraySource implements Source {
    private final byte[] buf;
    private final int start;
    private final int end;
    private int pos;

    ArraySource(byte[] buf, int off, int len) {
      this.buf = buf;
      this.start = off;
      this.end = off + len;
      this.pos = off;
    }

    @Override
    public void readFully(byte[] b, int off, int len) throws MalformedException {
      if (len > end - pos) {
        throw new MalformedException("truncated header");
      }
      System.arraycopy(buf, pos, b, off, len);
      pos += len;
    }

    @Override
    public int crcSoFar() {
      CRC32C crc = new CRC32C();
      crc.update(buf, start, pos - start);
      return (int) crc.getValue();
    }

    @Override
    public byte[] consumed() {
      return Arrays.copyOfRange(buf, start, pos);
    }
  }

  /** Reads from a stream, keeping a copy of what it read (the header is authenticated later). */
  private static final class StreamSource extends ByteArrayOutputStream implements Source {
    private final InputStream in;

    StreamSource(InputStream in) {
      super(512);
      this.in = in;
    }

    @Override
    public void readFully(byte[] b, int off, int len) throws IOException, MalformedException {
      int n = in.readNBytes(b, off, len);
      if (n < len) {
        throw new MalformedException("truncated header");
      }
      write(b, off, len);
    }

    @Override
    public int crcSoFar() {
      CRC32C crc = new CRC32C();
      crc.update(buf, 0, count);
      return (int) crc.getValue();
    }

    @Override
    public byte[] consumed() {
      return toByteArray();
    }
  }

  public static Header parse(byte[] buf, int off, int len) throws MalformedException {
    try {
      return parse(new ArraySource(buf, off, len));
    } catch (IOException e) {
      throw new MalformedException("unreadable header");
    }
  }

  /** Reads exactly one header from {@code in}; reads no byte beyond it. */
  public static Header read(InputStream in) throws IOException, MalformedException {
    try {
      return parse(new StreamSource(in));
    } catch (EOFException e) {
      throw new MalformedException("truncated header");
    }
  }

  private static Header parse(Source s) throws IOException, MalformedException {
    byte[] fixed = new byte[2 + MESSAGE_ID_LENGTH + 4 + 2];
    s.readFully(fixed, 0, fixed.length);
    if (fixed[0] != VERSION) {
      throw new MalformedException("unknown format version");
    }
    int suite = fixed[1] & 0xFF;
    if (suite != SUITE_AES256_GCM_HKDF_COMMIT) {
      throw new MalformedException("unknown suite");
    }
    byte[] messageId = Arrays.copyOfRange(fixed, MESSAGE_ID_OFFSET, MESSAGE_ID_OFFSET + MESSAGE_ID_LENGTH);
    int segmentSize = getInt(fixed, SEGMENT_SIZE_OFFSET);
    if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
      throw new MalformedException("segment size out of range");
    }
    int contextLength = getShort(fixed, SEGMENT_SIZE_OFFSET + 4);
    if (contextLength < 2 || contextLength > MAX_CONTEXT_LENGTH) {
      throw new MalformedException("context length out of range");
    }
    byte[] context = new byte[contextLength];
    s.readFully(context, 0, contextLength);
    byte[] one = new byte[1];
    s.readFully(one, 0, 1);
    int count = one[0] & 0xFF;
    if (count < 1 || count > MAX_KEYS) {
      throw new MalformedException("key count out of range");
    }
    List<WrappedKey> keys = new ArrayList<>(count);
    byte[] two = new byte[2];
    for (int i = 0; i < count; i++) {
      s.readFully(one, 0, 1);
      String provider = readString(s, one[0] & 0xFF, WrappedKey.MAX_PROVIDER_LENGTH, false);
      s.readFully(two, 0, 2);
      String keyId = readString(s, getShort(two, 0), WrappedKey.MAX_KEY_ID_LENGTH, false);
      s.readFully(two, 0, 2);
      String version = readString(s, getShort(two, 0), WrappedKey.MAX_VERSION_LENGTH, true);
      s.readFully(two, 0, 2);
      int ctLength = getShort(two, 0);
      if (ctLength < 1 || ctLength > WrappedKey.MAX_CIPHERTEXT_LENGTH) {
        throw new MalformedException("wrapped key length out of range");
      }
      byte[] ct = new byte[ctLength];
      s.readFully(ct, 0, ctLength);
      keys.add(new WrappedKey(provider, keyId, version, ct));
    }
    int crc = s.crcSoFar();
    byte[] checksum = new byte[CHECKSUM_LENGTH];
    s.readFully(checksum, 0, CHECKSUM_LENGTH);
    if (crc != getInt(checksum, 0)) {
      throw new MalformedException("header checksum mismatch");
    }
    byte[] commitment = new byte[COMMITMENT_LENGTH];
    s.readFully(commitment, 0, COMMITMENT_LENGTH);
    byte[] tag = new byte[Gcm.TAG_LENGTH];
    s.readFully(tag, 0, Gcm.TAG_LENGTH);
    byte[] all = s.consumed();
    return new Header(suite, messageId, segmentSize, context, List.copyOf(keys), commitment, tag, all,
        all.length - Gcm.TAG_LENGTH);
  }

  private static String readString(Source s, int length, int max, boolean mayBeEmpty)
      throws IOException, MalformedException {
    if ((!mayBeEmpty && length == 0) || length > max) {
      throw new MalformedException("field length out of range");
    }
    byte[] b = new byte[length];
    s.readFully(b, 0, length);
    if (isAscii(b)) {
      // Provider ids and key ids are ASCII in practice; ASCII decodes the same under UTF-8 and
      // needs no strict decoder (whose allocation showed in the decrypt profile).
      return new String(b, StandardCharsets.US_ASCII);
    }
    try {
      return StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(b)).toString();
    } catch (java.nio.charset.CharacterCodingException e) {
      throw new MalformedException("bad UTF-8");
    }
  }

  private static boolean isAscii(byte[] b) {
    for (byte x : b) {
      if (x < 0) {
        return false;
      }
    }
    return true;
  }

  private static void writeShort(ByteArrayOutputStream out, int v) {
    out.write(v >>> 8);
    out.write(v);
  }

  private static void writeInt(ByteArrayOutputStream out, int v) {
    out.write(v >>> 24);
    out.write(v >>> 16);
    out.write(v >>> 8);
    out.write(v);
  }

  public static void putInt(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }

  public static int getInt(byte[] b, int off) {
    return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
  }

  private static int getShort(byte[] b, int off) {
    return ((b[off] & 0xFF) << 8) | (b[off + 1] & 0xFF);
  }
}
