package dev.envelope.rotation.internal;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.rotation.ValueCipher;
import java.util.Arrays;

/** What the engine does to one value. */
public interface Transform {
  boolean isCurrent(byte[] value);

  byte[] apply(byte[] value, EncryptionContext context);

  static Transform reencrypt(ValueCipher from, ValueCipher to) {
    return new Transform() {
      @Override
      public boolean isCurrent(byte[] value) {
        return to.isCurrent(value);
      }

      @Override
      public byte[] apply(byte[] value, EncryptionContext context) {
        byte[] plaintext = from.decrypt(value, context);
        try {
          return to.encrypt(plaintext, context);
        } finally {
          Arrays.fill(plaintext, (byte) 0);
        }
      }
    };
  }

  static Transform rewrap(Envelope target) {
    ValueCipher current = ValueCipher.of(target);
    return new Transform() {
      @Override
      public boolean isCurrent(byte[] value) {
        return current.isCurrent(value);
      }

      @Override
      public byte[] apply(byte[] value, EncryptionContext context) {
        return target.rewrap(value, context);
      }
    };
  }
}
