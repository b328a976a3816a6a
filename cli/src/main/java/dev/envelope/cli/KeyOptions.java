package dev.envelope.cli;

import dev.envelope.core.MasterKey;
import dev.envelope.core.MasterKeyResolver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code --key SCHEME:SPEC} (repeatable) with the provider options of {@link Providers}. */
final class KeyOptions {
  @Option(names = "--key", required = true, paramLabel = "SCHEME:SPEC",
      description = "Master key, repeatable: local:FILE#NAME, aws-kms:ARN_OR_ALIAS, gcp-kms:KEY_NAME, "
          + "azure-kv:KEY_URL. Encrypt wraps the data key under every key; decrypt uses only these keys.")
  List<String> keys = new ArrayList<>();

  @Mixin
  Providers providers;

  List<MasterKey> resolve() {
    return providers.resolve(keys);
  }

  /** {@code --endpoint SCHEME=ENDPOINT} and {@code --key-option SCHEME.NAME=VALUE}, for any command taking keys. */
  static final class Providers {
    @Option(names = "--endpoint", paramLabel = "SCHEME=ENDPOINT",
        description = "Endpoint override for one provider, e.g. aws-kms=http://127.0.0.1:4566 or "
            + "gcp-kms=127.0.0.1:9090 (loopback fakes from the testkit).")
    Map<String, String> endpoints = new HashMap<>();

    @Option(names = "--key-option", paramLabel = "SCHEME.NAME=VALUE",
        description = "Any other provider option, e.g. aws-kms.region=eu-west-1, or SCHEME.deadline=3s (time for "
            + "one KMS call including retries; default 10s) for aws-kms, gcp-kms and azure-kv.")
    Map<String, String> keyOptions = new HashMap<>();

    /** Resolves each {@code SCHEME:SPEC} with the options given for its scheme. */
    List<MasterKey> resolve(List<String> specs) {
      List<MasterKey> out = new ArrayList<>();
      for (String spec : specs) {
        int colon = spec.indexOf(':');
        String scheme = colon > 0 ? spec.substring(0, colon) : spec;
        Map<String, String> options = new HashMap<>();
        if (endpoints.containsKey(scheme)) {
          options.put("endpoint", endpoints.get(scheme));
        }
        keyOptions.forEach((k, v) -> {
          if (k.startsWith(scheme + ".")) {
            options.put(k.substring(scheme.length() + 1), v);
          }
        });
        MasterKey key = MasterKeyResolver.resolveSpec(spec, options);
        Warnings.afterResolve(spec);
        out.add(key);
      }
      return out;
    }
  }
}
