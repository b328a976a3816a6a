package dev.envelope.benchmarks;

/**
 * The one facade every benchmarked implementation sits behind: encrypt and decrypt a byte array
 * under a fixed key and a fixed three-pair encryption context (where the implementation has one).
 * Implementations are thread-safe.
 */
public interface Codec {
  byte[] encrypt(byte[] plaintext) throws Exception;

  /** Decrypts and authenticates; fails (with the implementation's own exception) on any tampering. */
  byte[] decrypt(byte[] ciphertext) throws Exception;
}
