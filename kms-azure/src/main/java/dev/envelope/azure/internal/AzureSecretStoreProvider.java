package dev.envelope.azure.internal;

import dev.envelope.azure.AzureSecretStore;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretStoreProvider;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/**
 * {@code azure-kv:https://VAULT.vault.azure.net} stores, with the options {@code endpoint} (a
 * loopback https URL to send the requests to) and {@code trust} (a PEM file of certificates to
 * trust instead of the JDK's, e.g. the testkit fake's), as for {@code azure-kv} keys.
 */
public final class AzureSecretStoreProvider implements SecretStoreProvider {
  public static final String SCHEME = "azure-kv";
  private static final Set<String> OPTIONS = Set.of("endpoint", "trust");

  @Override
  public String scheme() {
    return SCHEME;
  }

  @Override
  public SecretStore create(String spec, Map<String, String> options) {
    for (String option : options.keySet()) {
      if (!OPTIONS.contains(option)) {
        throw new IllegalArgumentException("unknown option '" + option + "' for azure-kv stores (supported: endpoint, "
            + "trust)");
      }
    }
    if (spec.isEmpty()) {
      throw new IllegalArgumentException("store azure-kv needs the vault URL: azure-kv:https://VAULT.vault.azure.net");
    }
    AzureSecretStore.Builder b = AzureSecretStore.builder().vaultUrl(spec);
    String endpoint = options.get("endpoint");
    if (endpoint != null) {
      b.endpoint(endpoint);
    }
    String trust = options.get("trust");
    if (trust != null) {
      b.sslContext(AzureKeyVaultResolver.trusting(Path.of(trust)));
    }
    return b.build();
  }
}
