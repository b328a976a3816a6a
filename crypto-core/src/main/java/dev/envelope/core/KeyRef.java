package dev.envelope.core;

import java.util.Objects;

/**
 * Names a master key: a provider id ({@code local}, {@code aws-kms}, {@code gcp-kms},
 * {@code azure-kv}) and the provider's key id without a version.
 */
public record KeyRef(String provider, String keyId) {
  public KeyRef {
    Objects.requireNonNull(provider, "provider");
    Objects.requireNonNull(keyId, "keyId");
    if (provider.isEmpty() || provider.length() > WrappedKey.MAX_PROVIDER_LENGTH) {
      throw new IllegalArgumentException("provider id must be 1.." + WrappedKey.MAX_PROVIDER_LENGTH + " characters");
    }
    if (keyId.isEmpty()) {
      throw new IllegalArgumentException("key id must not be empty");
    }
  }

  @Override
  public String toString() {
    return provider + ":" + keyId;
  }
}
