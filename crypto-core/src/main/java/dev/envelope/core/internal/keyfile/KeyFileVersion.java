package dev.envelope.core.internal.keyfile;

import java.util.Arrays;

/**
 * One key version as stored in the key section (docs/keyfile.md §4). Holds raw key bytes: whoever
 * holds the record zeroes them with {@link #destroy()} when done.
 */
public record KeyFileVersion(int version, long createdEpochMillis, byte[] key) {
  public KeyFileVersion {
    if (version < 1) {
      throw new IllegalArgumentException("versions start at 1");
    }
    if (key.length != KeyFileCodec.KEY_LENGTH) {
      throw new IllegalArgumentException("a key is " + KeyFileCodec.KEY_LENGTH + " bytes");
    }
  }

  public void destroy() {
    Arrays.fill(key, (byte) 0);
  }

  @Override
  public String toString() {
    return "KeyFileVersion[" + version + ", created " + createdEpochMillis + ", key redacted]";
  }
}
