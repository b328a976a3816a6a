package dev.envelope.core;

import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * Secret key material whose {@code toString()} never shows it. Equality is constant-time.
 *
 * <p>{@link #destroy()} zeroes the bytes. On the JVM this is best effort: the garbage collector may
 * have copied the array before.
 */
public final class SecretBytes implements AutoCloseable {
  private final byte[] bytes;
  private volatile boolean destroyed;

  private SecretBytes(byte[] bytes) {
    this.bytes = bytes;
  }

  /** Copies {@code bytes}; the caller may zero its own array afterwards. */
  public static SecretBytes copyOf(byte[] bytes) {
    return new SecretBytes(Objects.requireNonNull(bytes, "bytes").clone());
  }

  /** Takes ownership of {@code bytes} without copying; the caller must not use the array again. */
  public static SecretBytes wrap(byte[] bytes) {
    return new SecretBytes(Objects.requireNonNull(bytes, "bytes"));
  }

  public int length() {
    return bytes.length;
  }

  /** A copy of the secret bytes; zero it when done. */
  public byte[] toByteArray() {
    checkLive();
    return bytes.clone();
  }

  /**
   * The internal array, without a copy, for hot paths inside Envelope and providers. Never store
   * or modify it.
   */
  public byte[] unsafeBytes() {
    checkLive();
    return bytes;
  }

  public boolean isDestroyed() {
    return destroyed;
  }

  /** Zeroes the bytes. Idempotent. */
  public void destroy() {
    destroyed = true;
    Arrays.fill(bytes, (byte) 0);
  }

  @Override
  public void close() {
    destroy();
  }

  private void checkLive() {
    if (destroyed) {
      throw new IllegalStateException("secret bytes were destroyed");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SecretBytes other && MessageDigest.isEqual(bytes, other.bytes);
  }

  @Override
  public int hashCode() {
    return bytes.length;
  }

  @Override
  public String toString() {
    return "SecretBytes[" + bytes.length + " bytes, redacted]";
  }
}
