package dev.envelope.rotation.internal;

import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.MessageInfo;
import dev.envelope.core.WrappedKey;
import dev.envelope.rotation.ValueCipher;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** {@link ValueCipher} over Envelope message values (docs/format.md §3). */
public final class EnvelopeCipher implements ValueCipher {
  private final Envelope envelope;
  private volatile Set<List<String>> targetKeys;

  public EnvelopeCipher(Envelope envelope) {
    this.envelope = Objects.requireNonNull(envelope, "envelope");
  }

  @Override
  public byte[] decrypt(byte[] value, EncryptionContext context) {
    return envelope.decrypt(value, context);
  }

  @Override
  public byte[] encrypt(byte[] plaintext, EncryptionContext context) {
    return envelope.encrypt(plaintext, context);
  }

  @Override
  public boolean isCurrent(byte[] value) {
    MessageInfo info;
    try {
      info = Envelope.inspect(value);
    } catch (InvalidCiphertextException e) {
      return false;
    }
    return keys(info.keys()).equals(targetKeys());
  }

  /**
   * The (provider, key id, version) triples a new message carries. The SPI exposes no version, and
   * a KMS may answer with a longer id than it was configured with (AWS alias to ARN), so the
   * envelope is asked once, with a throwaway empty message.
   */
  private Set<List<String>> targetKeys() {
    Set<List<String>> t = targetKeys;
    if (t == null) {
      byte[] probe = envelope.encrypt(new byte[0], EncryptionContext.empty());
      t = keys(Envelope.inspect(probe).keys());
      targetKeys = t;
    }
    return t;
  }

  private static Set<List<String>> keys(List<WrappedKey> keys) {
    Set<List<String>> out = new HashSet<>();
    for (WrappedKey k : keys) {
      out.add(List.of(k.provider(), k.keyId(), k.version()));
    }
    return out;
  }

  @Override
  public String toString() {
    return "EnvelopeCipher" + envelope.masterKeyRefs();
  }
}
