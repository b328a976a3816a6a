package dev.envelope.core;

import java.util.Objects;

/**
 * A freshly generated data key: its plaintext (AES-256, 32 bytes) and its wrapped form. Close it
 * to zero the plaintext.
 */
public final class DataKey implements AutoCloseable {
  private final SecretBytes plaintext;
  private final WrappedKey wrapped;

  public DataKey(SecretBytes plaintext, WrappedKey wrapped) {
    this.plaintext = Objects.requireNonNull(plaintext, "plaintext");
    this.wrapped = Objects.requireNonNull(wrapped, "wrapped");
  }

  public SecretBytes plaintext() {
    return plaintext;
  }

  public WrappedKey wrapped() {
    return wrapped;
  }

  @Override
  public void close() {
    plaintext.destroy();
  }

  @Override
  public String toString() {
    return "DataKey[" + wrapped + ", plaintext redacted]";
  }
}
