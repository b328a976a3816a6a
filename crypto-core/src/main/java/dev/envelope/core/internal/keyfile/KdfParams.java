package dev.envelope.core.internal.keyfile;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * Argon2id (version 0x13) parameters for deriving a key file's encryption key from a passphrase
 * (docs/keyfile.md §3). The bounds keep a hostile file from making {@code open} allocate or spin
 * without limit.
 *
 * @param memoryKib memory cost in KiB, at least 8 per lane
 * @param iterations time cost (passes over memory)
 * @param parallelism lanes
 */
public record KdfParams(int memoryKib, int iterations, int parallelism) {
  /** 64 MiB, 3 passes, 1 lane: RFC 9106 §4's second recommended option. */
  public static final KdfParams DEFAULT = new KdfParams(64 * 1024, 3, 1);
  public static final int MAX_MEMORY_KIB = 1 << 20; // 1 GiB
  public static final int MAX_ITERATIONS = 32;
  public static final int MAX_PARALLELISM = 16;
  public static final int SALT_LENGTH = 16;
  public static final int KEY_LENGTH = 32;

  public KdfParams {
    if (!inBounds(memoryKib, iterations, parallelism)) {
      throw new IllegalArgumentException("Argon2id parameters out of bounds: parallelism 1.." + MAX_PARALLELISM
          + ", iterations 1.." + MAX_ITERATIONS + ", memory 8*parallelism.." + MAX_MEMORY_KIB + " KiB");
    }
  }

  public static boolean inBounds(long memoryKib, long iterations, long parallelism) {
    return parallelism >= 1 && parallelism <= MAX_PARALLELISM
        && iterations >= 1 && iterations <= MAX_ITERATIONS
        && memoryKib >= 8 * parallelism && memoryKib <= MAX_MEMORY_KIB;
  }

  /**
   * Derives the 32-byte AES key. The passphrase is encoded as UTF-8 without normalisation.
   *
   * @throws IllegalArgumentException if the passphrase is empty or holds an unpaired surrogate
   */
  public SecretKeySpec deriveKey(char[] passphrase, byte[] salt) {
    if (salt.length != SALT_LENGTH) {
      throw new IllegalArgumentException("salt must be " + SALT_LENGTH + " bytes");
    }
    byte[] password = utf8(passphrase);
    byte[] out = null;
    try {
      out = argon2id(password, salt);
      return new SecretKeySpec(out, "AES");
    } finally {
      Arrays.fill(password, (byte) 0);
      if (out != null) {
        Arrays.fill(out, (byte) 0);
      }
    }
  }

  /** Raw Argon2id output, 32 bytes; no salt-length rule, so reference vectors can check it. */
  byte[] argon2id(byte[] password, byte[] salt) {
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
        .withVersion(Argon2Parameters.ARGON2_VERSION_13)
        .withMemoryAsKB(memoryKib)
        .withIterations(iterations)
        .withParallelism(parallelism)
        .withSalt(salt)
        .build());
    byte[] out = new byte[KEY_LENGTH];
    generator.generateBytes(password, out);
    return out;
  }

  private static byte[] utf8(char[] passphrase) {
    if (passphrase.length == 0) {
      throw new IllegalArgumentException("passphrase must not be empty");
    }
    ByteBuffer encoded = null;
    try {
      encoded = StandardCharsets.UTF_8.newEncoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .encode(CharBuffer.wrap(passphrase));
      return Arrays.copyOf(encoded.array(), encoded.limit());
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("passphrase is not valid Unicode (unpaired surrogate)");
    } finally {
      if (encoded != null) {
        Arrays.fill(encoded.array(), (byte) 0);
      }
    }
  }
}
