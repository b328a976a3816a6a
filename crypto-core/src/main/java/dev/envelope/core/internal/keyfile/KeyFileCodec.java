package dev.envelope.core.internal.keyfile;

import dev.envelope.core.KeyFileException;
import dev.envelope.core.internal.Gcm;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import javax.crypto.spec.SecretKeySpec;

/**
 * Reads and writes the key file format, version 1 (docs/keyfile.md). A file is
 * {@code header || body || SHA-256(header || body)}; the body is the key section, in clear or
 * AES-256-GCM encrypted with the header as AAD.
 *
 * <p>Every decoding failure is a {@link KeyFileException}; every length and count is checked
 * against the bytes that remain before anything is allocated for it.
 */
public final class KeyFileCodec {
  /** docs/keyfile.md §2: the high bit and the line feed catch files mangled as text. */
  static final byte[] MAGIC = {(byte) 0x89, 'E', 'N', 'V', 'K', 'E', 'Y', '\n'};
  public static final int FORMAT_VERSION = 1;
  static final int FLAG_ENCRYPTED = 0x0001;
  static final int KDF_ARGON2ID = 1;
  public static final int KEY_LENGTH = 32;
  public static final int MAX_KEYS = 1024;
  public static final int MAX_VERSIONS_PER_KEY = 1024;
  public static final int MAX_TOTAL_VERSIONS = 16384;
  /** Comfortably above the largest file the limits above allow (about 860 KB). */
  public static final int MAX_FILE_SIZE = 1 << 20;
  static final int CHECKSUM_LENGTH = 32;
  static final int PLAIN_HEADER_LENGTH = 8 + 2 + 2 + 4;
  static final int ENCRYPTED_HEADER_LENGTH = PLAIN_HEADER_LENGTH + 1 + 4 + 4 + 1 + KdfParams.SALT_LENGTH
      + Gcm.NONCE_LENGTH;
  static final int VERSION_RECORD_LENGTH = 4 + 8 + KEY_LENGTH;
  static final int MIN_KEY_RECORD_LENGTH = 1 + 1 + 4 + 2 + VERSION_RECORD_LENGTH;

  private KeyFileCodec() {}

  /**
   * The parsed header (docs/keyfile.md §2, §3).
   *
   * @param kdf null for a plain file
   * @param salt null for a plain file
   * @param nonce null for a plain file
   * @param length header length in bytes; the body starts here
   * @param bodyLength body length in bytes
   */
  public record Header(boolean encrypted, KdfParams kdf, byte[] salt, byte[] nonce, int length, int bodyLength) {}

  /** Checks magic, format version, checksum, flags, KDF parameters and lengths. */
  public static Header parseHeader(byte[] file, String source) {
    if (file.length > MAX_FILE_SIZE) {
      throw corrupt(source, "larger than " + MAX_FILE_SIZE + " bytes");
    }
    if (file.length < MAGIC.length || !Arrays.equals(file, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new KeyFileException("not an Envelope key file: " + source);
    }
    Reader in = new Reader(file, MAGIC.length, file.length - MAGIC.length, source);
    int formatVersion = in.u16();
    if (formatVersion != FORMAT_VERSION) {
      throw new KeyFileException("key file " + source + " has format version " + formatVersion
          + "; this Envelope reads version " + FORMAT_VERSION);
    }
    if (file.length < PLAIN_HEADER_LENGTH + CHECKSUM_LENGTH) {
      throw corrupt(source, "truncated");
    }
    byte[] expected = sha256(file, file.length - CHECKSUM_LENGTH);
    if (!MessageDigest.isEqual(expected, Arrays.copyOfRange(file, file.length - CHECKSUM_LENGTH, file.length))) {
      throw corrupt(source, "checksum mismatch (truncated or altered)");
    }
    int flags = in.u16();
    if ((flags & ~FLAG_ENCRYPTED) != 0) {
      throw corrupt(source, "unknown flags");
    }
    boolean encrypted = (flags & FLAG_ENCRYPTED) != 0;
    KdfParams kdf = null;
    byte[] salt = null;
    byte[] nonce = null;
    if (encrypted) {
      int kdfId = in.u8();
      if (kdfId != KDF_ARGON2ID) {
        throw corrupt(source, "unknown key derivation function " + kdfId);
      }
      long memory = in.u32();
      long iterations = in.u32();
      int parallelism = in.u8();
      if (!KdfParams.inBounds(memory, iterations, parallelism)) {
        throw corrupt(source, "Argon2id parameters out of bounds (memory <= " + KdfParams.MAX_MEMORY_KIB
            + " KiB, iterations <= " + KdfParams.MAX_ITERATIONS + ", parallelism <= " + KdfParams.MAX_PARALLELISM + ")");
      }
      kdf = new KdfParams((int) memory, (int) iterations, parallelism);
      salt = in.bytes(KdfParams.SALT_LENGTH);
      nonce = in.bytes(Gcm.NONCE_LENGTH);
    }
    long bodyLength = in.u32();
    int headerLength = in.position();
    if (bodyLength != file.length - headerLength - CHECKSUM_LENGTH
        || (encrypted && bodyLength < Gcm.TAG_LENGTH)) {
      throw corrupt(source, "body length mismatch");
    }
    return new Header(encrypted, kdf, salt, nonce, headerLength, (int) bodyLength);
  }

  /**
   * Decodes the key section (docs/keyfile.md §4), decrypting it first when the file is encrypted.
   * The caller owns the returned key bytes and must destroy them.
   *
   * @param key the key derived from the passphrase; required exactly when the file is encrypted
   */
  public static List<KeyFileEntry> decodeBody(byte[] file, Header header, SecretKeySpec key, String source) {
    if (header.encrypted() != (key != null)) {
      throw new IllegalArgumentException("a key is needed exactly for an encrypted file");
    }
    if (!header.encrypted()) {
      return parseSection(file, header.length(), header.bodyLength(), source);
    }
    byte[] section = new byte[header.bodyLength() - Gcm.TAG_LENGTH];
    try {
      if (!Gcm.decrypt(key, header.nonce(), file, 0, header.length(), file, header.length(), header.bodyLength(),
          section, 0)) {
        // One message: no oracle telling a wrong passphrase from a forged key section.
        throw new KeyFileException("cannot decrypt key file " + source + ": wrong passphrase, or the file is damaged");
      }
      return parseSection(section, 0, section.length, source);
    } finally {
      Arrays.fill(section, (byte) 0);
    }
  }

  private static List<KeyFileEntry> parseSection(byte[] buf, int off, int len, String source) {
    Reader in = new Reader(buf, off, len, source);
    int keyCount = in.u16();
    if (keyCount > MAX_KEYS) {
      throw corrupt(source, "more than " + MAX_KEYS + " keys");
    }
    if (in.remaining() < (long) keyCount * MIN_KEY_RECORD_LENGTH) {
      throw corrupt(source, "key section truncated");
    }
    List<KeyFileEntry> entries = new ArrayList<>(keyCount);
    List<KeyFileVersion> pending = new ArrayList<>();
    try {
      String previousName = null;
      int totalVersions = 0;
      for (int k = 0; k < keyCount; k++) {
        String name = in.name();
        if (previousName != null && previousName.compareTo(name) >= 0) {
          throw corrupt(source, "key names not in ascending order");
        }
        previousName = name;
        long primary = in.u32();
        int versionCount = in.u16();
        if (versionCount < 1 || versionCount > MAX_VERSIONS_PER_KEY) {
          throw corrupt(source, "a key must have 1.." + MAX_VERSIONS_PER_KEY + " versions");
        }
        totalVersions += versionCount;
        if (totalVersions > MAX_TOTAL_VERSIONS) {
          throw corrupt(source, "more than " + MAX_TOTAL_VERSIONS + " key versions in total");
        }
        if (in.remaining() < (long) versionCount * VERSION_RECORD_LENGTH) {
          throw corrupt(source, "key section truncated");
        }
        pending.clear();
        long previousVersion = 0;
        boolean hasPrimary = false;
        for (int v = 0; v < versionCount; v++) {
          long version = in.u32();
          if (version <= previousVersion || version > Integer.MAX_VALUE) {
            throw corrupt(source, "key versions not ascending in 1.." + Integer.MAX_VALUE);
          }
          previousVersion = version;
          hasPrimary |= version == primary;
          long created = in.i64();
          pending.add(new KeyFileVersion((int) version, created, in.bytes(KEY_LENGTH)));
        }
        if (!hasPrimary) {
          throw corrupt(source, "primary version is not one of the key's versions");
        }
        entries.add(new KeyFileEntry(name, (int) primary, pending));
        pending.clear();
      }
      if (in.remaining() != 0) {
        throw corrupt(source, "trailing bytes after the key section");
      }
      return entries;
    } catch (RuntimeException e) {
      pending.forEach(KeyFileVersion::destroy);
      KeyFileEntry.destroyAll(entries);
      throw e;
    }
  }

  /**
   * Encodes a whole file. The result holds key bytes in clear when {@code kdf} is null: zero it
   * after writing.
   *
   * @param kdf null for a plain file; else the parameters {@code key} was derived with
   * @param salt the salt {@code key} was derived with (encrypted files only)
   * @param key the key derived from the passphrase (encrypted files only)
   */
  public static byte[] encode(List<KeyFileEntry> entries, KdfParams kdf, byte[] salt, SecretKeySpec key) {
    boolean encrypted = kdf != null;
    if (encrypted && (key == null || salt == null || salt.length != KdfParams.SALT_LENGTH)) {
      throw new IllegalArgumentException("an encrypted file needs its key and a " + KdfParams.SALT_LENGTH + "-byte salt");
    }
    if (entries.size() > MAX_KEYS) {
      throw new IllegalArgumentException("more than " + MAX_KEYS + " keys");
    }
    int sectionLength = 2;
    int totalVersions = 0;
    String previous = null;
    for (KeyFileEntry e : entries) {
      if (previous != null && previous.compareTo(e.name()) >= 0) {
        throw new IllegalArgumentException("entries must be sorted by name without duplicates");
      }
      previous = e.name();
      totalVersions += e.versions().size();
      sectionLength += 1 + e.name().length() + 4 + 2 + e.versions().size() * VERSION_RECORD_LENGTH;
    }
    if (totalVersions > MAX_TOTAL_VERSIONS) {
      throw new IllegalArgumentException("more than " + MAX_TOTAL_VERSIONS + " key versions in total");
    }
    int headerLength = encrypted ? ENCRYPTED_HEADER_LENGTH : PLAIN_HEADER_LENGTH;
    int bodyLength = sectionLength + (encrypted ? Gcm.TAG_LENGTH : 0);
    byte[] out = new byte[headerLength + bodyLength + CHECKSUM_LENGTH];
    ByteBuffer header = ByteBuffer.wrap(out, 0, headerLength);
    header.put(MAGIC).putShort((short) FORMAT_VERSION).putShort((short) (encrypted ? FLAG_ENCRYPTED : 0));
    byte[] nonce = null;
    if (encrypted) {
      nonce = new byte[Gcm.NONCE_LENGTH];
      Gcm.randomBytes(nonce);
      header.put((byte) KDF_ARGON2ID).putInt(kdf.memoryKib()).putInt(kdf.iterations())
          .put((byte) kdf.parallelism()).put(salt).put(nonce);
    }
    header.putInt(bodyLength);
    if (encrypted) {
      byte[] section = new byte[sectionLength];
      try {
        writeSection(entries, ByteBuffer.wrap(section));
        Gcm.encrypt(key, nonce, out, 0, headerLength, section, 0, sectionLength, out, headerLength);
      } finally {
        Arrays.fill(section, (byte) 0);
      }
    } else {
      writeSection(entries, ByteBuffer.wrap(out, headerLength, sectionLength));
    }
    System.arraycopy(sha256(out, out.length - CHECKSUM_LENGTH), 0, out, out.length - CHECKSUM_LENGTH, CHECKSUM_LENGTH);
    return out;
  }

  private static void writeSection(List<KeyFileEntry> entries, ByteBuffer out) {
    out.putShort((short) entries.size());
    for (KeyFileEntry e : entries) {
      byte[] name = e.name().getBytes(StandardCharsets.US_ASCII);
      out.put((byte) name.length).put(name).putInt(e.primary()).putShort((short) e.versions().size());
      for (KeyFileVersion v : e.versions()) {
        out.putInt(v.version()).putLong(v.createdEpochMillis()).put(v.key());
      }
    }
    if (out.hasRemaining()) {
      throw new IllegalStateException("key section length miscounted");
    }
  }

  private static byte[] sha256(byte[] data, int length) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      digest.update(data, 0, length);
      return digest.digest();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is not available", e);
    }
  }

  private static KeyFileException corrupt(String source, String detail) {
    return new KeyFileException("key file " + source + " is corrupt: " + detail);
  }

  /** A bounds-checked big-endian cursor: running out of bytes is a {@link KeyFileException}. */
  private static final class Reader {
    private final byte[] buf;
    private final int end;
    private final String source;
    private int pos;

    Reader(byte[] buf, int off, int len, String source) {
      this.buf = buf;
      this.pos = off;
      this.end = off + len;
      this.source = source;
    }

    int position() {
      return pos;
    }

    int remaining() {
      return end - pos;
    }

    private void need(int n) {
      if (end - pos < n) {
        throw corrupt(source, "truncated");
      }
    }

    int u8() {
      need(1);
      return buf[pos++] & 0xFF;
    }

    int u16() {
      need(2);
      int v = ((buf[pos] & 0xFF) << 8) | (buf[pos + 1] & 0xFF);
      pos += 2;
      return v;
    }

    long u32() {
      need(4);
      long v = ((long) (buf[pos] & 0xFF) << 24) | ((buf[pos + 1] & 0xFF) << 16) | ((buf[pos + 2] & 0xFF) << 8)
          | (buf[pos + 3] & 0xFF);
      pos += 4;
      return v;
    }

    long i64() {
      need(8);
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (buf[pos + i] & 0xFF);
      }
      pos += 8;
      return v;
    }

    byte[] bytes(int n) {
      need(n);
      byte[] b = Arrays.copyOfRange(buf, pos, pos + n);
      pos += n;
      return b;
    }

    String name() {
      int len = u8();
      if (len < 1 || len > KeyNames.MAX_LENGTH) {
        throw corrupt(source, "bad key name length");
      }
      need(len);
      for (int i = pos; i < pos + len; i++) {
        if (!KeyNames.isNameChar(buf[i] & 0xFF)) {
          throw corrupt(source, "bad character in a key name");
        }
      }
      String name = new String(buf, pos, len, StandardCharsets.US_ASCII);
      pos += len;
      return name;
    }
  }
}
