package dev.envelope.cli.leaks;

import dev.envelope.core.DataKey;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.KeyRef;
import dev.envelope.core.MasterKey;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;

/**
 * Passes every call to a real master key and registers each plaintext data key that goes through
 * it (generated, wrapped or unwrapped) as a known secret: data keys are made inside the providers,
 * and this is where a test sees them without any hook in production code.
 */
public final class RecordingMasterKey implements MasterKey {
  private final MasterKey delegate;
  private final KnownSecrets known;

  public RecordingMasterKey(MasterKey delegate, KnownSecrets known) {
    this.delegate = delegate;
    this.known = known;
  }

  public MasterKey delegate() {
    return delegate;
  }

  private void record(SecretBytes key) {
    known.add("data key", key.toByteArray(), false);
  }

  @Override
  public KeyRef ref() {
    return delegate.ref();
  }

  @Override
  public DataKey generateDataKey(EncryptionContext context) {
    DataKey k = delegate.generateDataKey(context);
    record(k.plaintext());
    return k;
  }

  @Override
  public WrappedKey wrap(SecretBytes dataKey, EncryptionContext context) {
    record(dataKey);
    return delegate.wrap(dataKey, context);
  }

  @Override
  public SecretBytes unwrap(WrappedKey wrapped, EncryptionContext context) {
    SecretBytes k = delegate.unwrap(wrapped, context);
    record(k);
    return k;
  }

  @Override
  public WrappedKey rewrap(WrappedKey wrapped, MasterKey destination, EncryptionContext context) {
    MasterKey target = destination instanceof RecordingMasterKey r ? r.delegate : destination;
    if (target.ref().provider().equals(delegate.ref().provider())) {
      // The provider's own path (AWS ReEncrypt: the data key never leaves KMS).
      return delegate.rewrap(wrapped, target, context);
    }
    return MasterKey.super.rewrap(wrapped, destination, context);
  }

  @Override
  public boolean canUnwrap(WrappedKey wrapped) {
    return delegate.canUnwrap(wrapped);
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}
