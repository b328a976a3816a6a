package dev.envelope.core;

import dev.envelope.core.internal.field.FieldCipher;
import dev.envelope.core.internal.field.FieldFormat;
import dev.envelope.core.internal.field.FieldKey;
import java.util.Objects;

/**
 * A keyed, deterministic token of a value for equality lookups on an encrypted column
 * (docs/fields.md §5): store {@code compute(value)} in an indexed column next to the encrypted
 * value and query {@code WHERE column_idx = ?} with the token of the value you look for.
 *
 * <pre>{@code
 * BlindIndex byEmail = fields.blindIndex("users.email", 16);
 * byte[] token = byEmail.compute(email.toLowerCase(Locale.ROOT).getBytes(UTF_8));
 * }</pre>
 *
 * <p>Tokens are HMAC-SHA256 under a key derived for this index name from the blind-index root key
 * kept in the data-key table, truncated to {@link #length()} bytes. They reveal which rows hold
 * equal values and how often each value occurs, nothing more without the key; normalise values
 * (case, whitespace) before computing, as equality is on the exact bytes. Tokens stay stable across
 * data-key rotation and master-key rewrap.
 *
 * <p>Obtained from {@link FieldEncryptor#blindIndex}; thread-safe; unusable once its encryptor is
 * closed.
 */
public final class BlindIndex {
  private final String name;
  private final int length;
  private final FieldKey key;

  BlindIndex(String name, int length, FieldKey key) {
    this.name = name;
    this.length = length;
    this.key = key;
  }

  /** The token of {@code value}: {@link #length()} bytes. */
  public byte[] compute(byte[] value) {
    Objects.requireNonNull(value, "value");
    byte[] token = FieldCipher.hmac(key, value, length);
    if (token == null) {
      throw new IllegalStateException("the FieldEncryptor of this blind index is closed");
    }
    return token;
  }

  /** The token in the text form of field values (URL-safe base64 without padding). */
  public String computeToString(byte[] value) {
    return FieldFormat.toText(compute(value));
  }

  public String name() {
    return name;
  }

  /** Token length in bytes, 4..32. */
  public int length() {
    return length;
  }

  void destroy() {
    key.destroy();
  }

  @Override
  public String toString() {
    return "BlindIndex[" + name + ", " + length + " bytes]";
  }
}
