package dev.envelope.aws.internal;

import dev.envelope.aws.AwsSecretStore;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretStoreProvider;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * {@code aws-sm} stores (the spec is empty: secrets are named per read) with the options
 * {@code endpoint} (URI, e.g. the testkit fake) and {@code region}. The store owns its client.
 */
public final class AwsSecretStoreProvider implements SecretStoreProvider {
  public static final String SCHEME = "aws-sm";
  private static final Set<String> OPTIONS = Set.of("endpoint", "region");

  @Override
  public String scheme() {
    return SCHEME;
  }

  @Override
  public SecretStore create(String spec, Map<String, String> options) {
    for (String option : options.keySet()) {
      if (!OPTIONS.contains(option)) {
        throw new IllegalArgumentException("unknown option '" + option + "' for aws-sm stores (supported: endpoint, "
            + "region)");
      }
    }
    if (!spec.isEmpty()) {
      throw new IllegalArgumentException("store aws-sm takes no argument (write aws-sm, with the region as an option "
          + "or from AWS_REGION)");
    }
    AwsSecretStore.Builder b = AwsSecretStore.builder();
    String endpoint = options.get("endpoint");
    if (endpoint != null) {
      URI uri;
      try {
        uri = URI.create(endpoint);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("aws-sm endpoint is not a URI: " + endpoint);
      }
      b.endpoint(uri);
    }
    String region = options.get("region");
    if (region != null) {
      b.region(region);
    }
    try {
      return b.build();
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException("aws-sm: " + e.getMessage(), e);
    }
  }
}
