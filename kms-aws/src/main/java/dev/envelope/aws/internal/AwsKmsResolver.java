package dev.envelope.aws.internal;

import dev.envelope.aws.AwsKmsMasterKey;
import dev.envelope.core.MasterKey;
import dev.envelope.core.MasterKeyResolver;
import java.net.URI;
import java.util.Map;
import java.util.Set;

/**
 * {@code aws-kms:KEY_ARN_OR_ALIAS} and {@code aws-kms:discovery:PARTITION:ACCOUNT[,ACCOUNT…]},
 * with the options {@code endpoint} (URI) and {@code region}.
 */
public final class AwsKmsResolver implements MasterKeyResolver {
  private static final Set<String> OPTIONS = Set.of("endpoint", "region", "deadline");
  private static final String DISCOVERY = "discovery:";

  @Override
  public String scheme() {
    return AwsKmsMasterKey.PROVIDER_ID;
  }

  @Override
  public MasterKey resolve(String spec, Map<String, String> options) {
    for (String option : options.keySet()) {
      if (!OPTIONS.contains(option)) {
        throw new IllegalArgumentException("unknown option for aws-kms: " + option + " (known: endpoint, region, deadline)");
      }
    }
    AwsKmsMasterKey.Builder b;
    if (spec.startsWith(DISCOVERY)) {
      String[] parts = spec.substring(DISCOVERY.length()).split(":", 2);
      if (parts.length != 2 || parts[1].isEmpty()) {
        throw new IllegalArgumentException("discovery spec must look like aws-kms:discovery:aws:111122223333[,ACCOUNT...]");
      }
      b = AwsKmsMasterKey.discovery(parts[0], parts[1].split(",", -1));
    } else {
      b = AwsKmsMasterKey.builder().keyId(spec);
    }
    String endpoint = options.get("endpoint");
    if (endpoint != null) {
      URI uri;
      try {
        uri = URI.create(endpoint);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("aws-kms endpoint is not a URI: " + endpoint);
      }
      b.endpoint(uri);
    }
    String region = options.get("region");
    if (region != null) {
      b.region(region);
    }
    String deadline = options.get("deadline");
    if (deadline != null) {
      b.deadline(MasterKeyResolver.durationOption("aws-kms.deadline", deadline));
    }
    try {
      return b.build();
    } catch (IllegalStateException e) {
      throw new IllegalArgumentException("aws-kms:" + spec + ": " + e.getMessage(), e);
    }
  }
}
