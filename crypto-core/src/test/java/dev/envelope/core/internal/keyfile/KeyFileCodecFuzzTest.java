package dev.envelope.core.internal.keyfile;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.envelope.core.KeyFileException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import javax.crypto.spec.SecretKeySpec;

/**
 * Any input to the key-file codec (docs/keyfile.md) either decodes or fails with
 * {@link KeyFileException}: never another exception, never an OutOfMemoryError from a length or
 * count field. A plain file that decodes must re-encode to exactly its own bytes (the format has one
 * encoding per content). Regression mode (the default in {@code mvn verify}) replays the seeds in
 * {@code KeyFileCodecFuzzTestInputs/}; fuzz for real with {@code JAZZER_FUZZ=1} (docs/security.md).
 *
 * <p>Three entry points, because a random mutation almost never keeps a SHA-256 or a body length
 * right: raw files as an attacker would supply them; files whose trailing checksum the harness
 * recomputes, so the fuzzer reaches the flags and key-derivation parameters; and bare key sections
 * that the harness wraps in a plain header with the right body length and checksum, so it reaches
 * every count and length of §4.
 */
class KeyFileCodecFuzzTest {
  /** The key the encrypted seeds were written with, so their mutations get through AES-GCM's checks. */
  static final SecretKeySpec SEED_KEY = new SecretKeySpec(filled(32, 0x5E), "AES");

  @FuzzTest(maxDuration = "10s")
  void decode_anyBytes_decodesOrThrowsKeyFileException(byte[] input) {
    decode(input);
  }

  @FuzzTest(maxDuration = "10s")
  void decode_anyBytesWithChecksumAppended_decodesOrThrowsKeyFileException(byte[] input) {
    decode(withChecksum(Arrays.copyOf(input, input.length + KeyFileCodec.CHECKSUM_LENGTH)));
  }

  @FuzzTest(maxDuration = "10s")
  void decode_anyKeySectionInAPlainFile_decodesOrThrowsKeyFileException(byte[] section) {
    int headerLength = KeyFileCodec.PLAIN_HEADER_LENGTH;
    ByteBuffer file = ByteBuffer.allocate(headerLength + section.length + KeyFileCodec.CHECKSUM_LENGTH);
    file.put(KeyFileCodec.MAGIC).putShort((short) KeyFileCodec.FORMAT_VERSION).putShort((short) 0)
        .putInt(section.length).put(section);
    decode(withChecksum(file.array()));
  }

  private static void decode(byte[] file) {
    List<KeyFileEntry> entries = null;
    try {
      KeyFileCodec.Header header = KeyFileCodec.parseHeader(file, "fuzz");
      entries = KeyFileCodec.decodeBody(file, header, header.encrypted() ? SEED_KEY : null, "fuzz");
      if (!header.encrypted() && !Arrays.equals(KeyFileCodec.encode(entries, null, null, null), file)) {
        throw new AssertionError("a decoded plain key file does not re-encode to its own bytes");
      }
    } catch (KeyFileException expected) {
      // typed
    } finally {
      KeyFileEntry.destroyAll(entries);
    }
  }

  static byte[] withChecksum(byte[] file) {
    try {
      MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
      sha256.update(file, 0, file.length - KeyFileCodec.CHECKSUM_LENGTH);
      System.arraycopy(sha256.digest(), 0, file, file.length - KeyFileCodec.CHECKSUM_LENGTH,
          KeyFileCodec.CHECKSUM_LENGTH);
      return file;
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  static byte[] filled(int n, int value) {
    byte[] b = new byte[n];
    Arrays.fill(b, (byte) value);
    return b;
  }
}
