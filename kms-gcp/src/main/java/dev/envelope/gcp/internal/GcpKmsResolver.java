package dev.envelope.gcp.internal;

import dev.envelope.core.MasterKey;
import dev.envelope.core.MasterKeyResolver;
import dev.envelope.gcp.GcpKmsMasterKey;
import java.util.Map;

/**
 * Resolves {@code gcp-kms:projects/P/locations/L/keyRings/R/cryptoKeys/K} with the optional
 * option {@code endpoint} (e.g. {@code 127.0.0.1:PORT} for the testkit fake). The key owns its
 * client; callers that resolve many keys should close them.
 */
public final class GcpKmsResolver implements MasterKeyResolver {
  @Override
  public String scheme() {
    return GcpKmsMasterKey.PROVIDER_ID;
  }

  @Override
  public MasterKey resolve(String spec, Map<String, String> options) {
    for (String option : options.keySet()) {
      if (!option.equals("endpoint") && !option.equals("deadline")) {
        throw new IllegalArgumentException("unknown option '" + option + "' for gcp-kms keys (supported: endpoint, deadline)");
      }
    }
    GcpKmsMasterKey.Builder b = GcpKmsMasterKey.builder().keyName(spec);
    String endpoint = options.get("endpoint");
    if (endpoint != null) {
      b.endpoint(endpoint);
    }
    String deadline = options.get("deadline");
    if (deadline != null) {
      b.deadline(MasterKeyResolver.durationOption("gcp-kms.deadline", deadline));
    }
    return b.build();
  }
}
