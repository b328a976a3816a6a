package dev.envelope.core;

/**
 * A local key file cannot be used: it is not an Envelope key file, is corrupt or truncated, uses
 * an unsupported format version or out-of-bounds parameters, cannot be decrypted with the given
 * passphrase, or cannot be read or written. See docs/keyfile.md.
 *
 * <p>Messages name the file and the reason, never key bytes or the passphrase. A wrong passphrase
 * and a file damaged inside its authenticated section give the same message.
 */
public class KeyFileException extends EnvelopeException {
  private static final long serialVersionUID = 1L;

  public KeyFileException(String message) {
    super(message);
  }

  public KeyFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
