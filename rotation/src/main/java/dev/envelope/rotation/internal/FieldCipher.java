package dev.envelope.rotation.internal;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.FieldEncryptor;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.rotation.ValueCipher;
import java.util.Arrays;
import java.util.Objects;

/** {@link ValueCipher} over field values (docs/fields.md §2). */
public final class FieldCipher implements ValueCipher {
  private final FieldEncryptor fields;
  private final long[] replacing;

  public FieldCipher(FieldEncryptor fields, long[] replacing) {
    this.fields = Objects.requireNonNull(fields, "fields");
    this.replacing = replacing.clone();
    Arrays.sort(this.replacing);
  }

  @Override
  public byte[] decrypt(byte[] value, EncryptionContext context) {
    return fields.decrypt(value, context);
  }

  @Override
  public byte[] encrypt(byte[] plaintext, EncryptionContext context) {
    return fields.encrypt(plaintext, context);
  }

  /**
   * A well-formed field value is current unless its data key is one being replaced. Keys the
   * encryptor retired by itself (rotation by count or age) are not replaced: their values stay
   * readable and need no work.
   */
  @Override
  public boolean isCurrent(byte[] value) {
    long id;
    try {
      id = FieldEncryptor.dataKeyIdOf(value);
    } catch (InvalidCiphertextException | IllegalArgumentException e) {
      return false;
    }
    return Arrays.binarySearch(replacing, id) < 0;
  }

  @Override
  public String toString() {
    return "FieldCipher[replacing " + replacing.length + " data keys]";
  }
}
