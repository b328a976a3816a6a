package dev.envelope.core.internal.field;

import dev.envelope.core.DataKeyRecord;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.internal.Gcm;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.zip.CRC32C;

/** Field value format v1 and the constants around it, as specified in docs/fields.md §2–§5. */
public final class FieldFormat {
  /** §2: first byte of every v1 field value. */
  public static final byte VERSION = 0x01;
  public static final int ID_OFFSET = 1;
  public static final int ID_LENGTH = 8;
  public static final int NONCE_OFFSET = ID_OFFSET + ID_LENGTH;
  public static final int HEADER_LENGTH = NONCE_OFFSET + Gcm.NONCE_LENGTH;
  /** §2: version + key id + nonce + tag = 37 bytes on top of the plaintext. */
  public static final int OVERHEAD = HEADER_LENGTH + Gcm.TAG_LENGTH;
  /** Largest plaintext that still fits a Java array once encrypted. */
  public static final int MAX_PLAINTEXT_LENGTH = Integer.MAX_VALUE - 8 - OVERHEAD;

  /** §5.2: blind-index lengths in bytes. */
  public static final int MIN_INDEX_LENGTH = 4;
  public static final int MAX_INDEX_LENGTH = 32;
  /** §5.2: index names are 1..255 bytes of UTF-8. */
  public static final int MAX_INDEX_NAME_LENGTH = 255;

  private static final String DATA_KEY_CONTEXT_KEY = EncryptionContext.RESERVED_PREFIX + "field-data-key";
  private static final String INDEX_ROOT_CONTEXT_KEY = EncryptionContext.RESERVED_PREFIX + "field-index-root";
  private static final byte[] INDEX_INFO = "ENVELOPE v1 field blind index".getBytes(StandardCharsets.US_ASCII);
  private static final EncryptionContext INDEX_ROOT_CONTEXT = reservedContext(INDEX_ROOT_CONTEXT_KEY, "v1");
  private static final Base64.Encoder TEXT_ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder TEXT_DECODER = Base64.getUrlDecoder();

  private FieldFormat() {}

  // ---------------------------------------------------------------- §2.1 data-key ids

  /** §2.1: 48 random bits followed by the low 16 bits of their CRC32C. */
  public static long newDataKeyId() {
    byte[] b = new byte[8];
    for (;;) {
      Gcm.randomBytes(b);
      int check = check(b);
      b[6] = (byte) (check >>> 8);
      b[7] = (byte) check;
      long id = ByteBuffer.wrap(b).getLong();
      if (id != DataKeyRecord.INDEX_ROOT_ID) {
        return id;
      }
    }
  }

  /** §2.1: whether {@code id} is well-formed; every single- and double-bit error is caught. */
  public static boolean isWellFormedDataKeyId(long id) {
    return wellFormed(ByteBuffer.allocate(8).putLong(id).array(), 0);
  }

  private static boolean wellFormed(byte[] b, int off) {
    long id = readLong(b, off);
    return id != DataKeyRecord.INDEX_ROOT_ID && (id & 0xFFFF) == check(b, off);
  }

  private static int check(byte[] idBytes) {
    return check(idBytes, 0);
  }

  private static int check(byte[] b, int off) {
    CRC32C crc = new CRC32C();
    crc.update(b, off, 6);
    return (int) (crc.getValue() & 0xFFFF);
  }

  // ---------------------------------------------------------------- §2 value layout

  /**
   * §2.4 steps 1–3: checks length, version and id well-formedness, and returns the data-key id.
   *
   * @throws InvalidCiphertextException if the value cannot be a v1 field value
   */
  public static long parseDataKeyId(byte[] value) {
    if (value.length < OVERHEAD || value[0] != VERSION) {
      throw new InvalidCiphertextException();
    }
    if (!wellFormed(value, ID_OFFSET)) {
      throw new InvalidCiphertextException();
    }
    return readLong(value, ID_OFFSET);
  }

  static long readLong(byte[] b, int off) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[off + i] & 0xFF);
    }
    return v;
  }

  static void writeLong(byte[] b, int off, long v) {
    for (int i = 7; i >= 0; i--) {
      b[off + i] = (byte) v;
      v >>>= 8;
    }
  }

  // ---------------------------------------------------------------- §2.3 text form

  /** §2.3: URL-safe base64 without padding. */
  public static String toText(byte[] value) {
    return TEXT_ENCODER.encodeToString(value);
  }

  /**
   * §2.3: decodes the text form, accepting only what {@link #toText} writes (no padding, no line
   * breaks, unused trailing bits zero), so one value has exactly one text form.
   */
  public static byte[] fromText(String text) {
    int n = text.length();
    if (n < 2 || n % 4 == 1) {
      throw new InvalidCiphertextException();
    }
    int last = sextet(text.charAt(n - 1));
    int unusedBits = switch (n % 4) {
      case 2 -> 4;
      case 3 -> 2;
      default -> 0;
    };
    if (last < 0 || (last & ((1 << unusedBits) - 1)) != 0) {
      throw new InvalidCiphertextException();
    }
    try {
      return TEXT_DECODER.decode(text);
    } catch (IllegalArgumentException e) {
      throw new InvalidCiphertextException(e);
    }
  }

  private static int sextet(char c) {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    } else if (c == '-') {
      return 62;
    } else if (c == '_') {
      return 63;
    }
    return -1;
  }

  // ---------------------------------------------------------------- §3.2 wrapping contexts

  /** §3.2: the context a field data key is wrapped under: its own id, so rows cannot be swapped. */
  public static EncryptionContext dataKeyContext(long id) {
    return reservedContext(DATA_KEY_CONTEXT_KEY, DataKeyRecord.idToString(id));
  }

  /** §5.1: the context the blind-index root key is wrapped under. */
  public static EncryptionContext indexRootContext() {
    return INDEX_ROOT_CONTEXT;
  }

  /** The wrapping context of any row of the table. */
  public static EncryptionContext wrappingContext(long id) {
    return id == DataKeyRecord.INDEX_ROOT_ID ? INDEX_ROOT_CONTEXT : dataKeyContext(id);
  }

  /**
   * One pair under the library's reserved prefix, which {@code EncryptionContext.of} refuses to
   * callers; written in the canonical form of docs/format.md §2 and parsed back.
   */
  private static EncryptionContext reservedContext(String key, String value) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    byte[] v = value.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(2 + 2 + k.length + 2 + v.length);
    b.putShort((short) 1).putShort((short) k.length).put(k).putShort((short) v.length).put(v);
    return EncryptionContext.fromCanonical(b.array());
  }

  // ---------------------------------------------------------------- §5.2 blind-index keys

  /** §5.2: HKDF-Expand info for the key of index {@code name} with {@code length}-byte tokens. */
  public static byte[] indexKeyInfo(String name, int length) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(INDEX_INFO.length + 2 + n.length)
        .put(INDEX_INFO).put((byte) length).put((byte) n.length).put(n).array();
  }

  /** §5.2: index names are 1..255 bytes of UTF-8 (their text is not secret). */
  public static void checkIndexName(String name, int length) {
    int bytes = name.getBytes(StandardCharsets.UTF_8).length;
    if (bytes < 1 || bytes > MAX_INDEX_NAME_LENGTH) {
      throw new IllegalArgumentException("blind index name must be 1.." + MAX_INDEX_NAME_LENGTH + " bytes of UTF-8");
    }
    if (length < MIN_INDEX_LENGTH || length > MAX_INDEX_LENGTH) {
      throw new IllegalArgumentException("blind index length must be " + MIN_INDEX_LENGTH + ".." + MAX_INDEX_LENGTH
          + " bytes");
    }
  }
}
