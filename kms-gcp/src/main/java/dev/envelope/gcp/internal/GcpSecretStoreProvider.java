package dev.envelope.gcp.internal;

import dev.envelope.gcp.GcpSecretStore;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretStoreProvider;
import java.util.Map;
import java.util.Set;

/**
 * Creates {@code gcp-sm:PROJECT} stores ({@code gcp-sm:my-project} or
 * {@code gcp-sm:projects/my-project}) with the options {@code endpoint} (e.g. {@code 127.0.0.1:PORT}
 * for the testkit fake) and {@code current-alias}. The store owns its client; close it when done.
 */
public final class GcpSecretStoreProvider implements SecretStoreProvider {
  public static final String SCHEME = "gcp-sm";
  private static final Set<String> OPTIONS = Set.of("endpoint", "current-alias");

  @Override
  public String scheme() {
    return SCHEME;
  }

  @Override
  public SecretStore create(String spec, Map<String, String> options) {
    for (String option : options.keySet()) {
      if (!OPTIONS.contains(option)) {
        throw new IllegalArgumentException("unknown option '" + option + "' for gcp-sm stores (supported: "
            + "endpoint, current-alias)");
      }
    }
    if (spec.isEmpty()) {
      throw new IllegalArgumentException("store gcp-sm needs a project: gcp-sm:PROJECT or gcp-sm:projects/PROJECT");
    }
    GcpSecretStore.Builder b = GcpSecretStore.builder()
        .project(spec.startsWith("projects/") ? spec : "projects/" + spec);
    String endpoint = options.get("endpoint");
    if (endpoint != null) {
      b.endpoint(endpoint);
    }
    String alias = options.get("current-alias");
    if (alias != null) {
      b.currentAlias(alias);
    }
    return b.build();
  }
}
