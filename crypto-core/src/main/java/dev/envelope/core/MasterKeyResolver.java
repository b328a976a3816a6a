package dev.envelope.core;

import java.util.Map;
import java.util.ServiceLoader;

/**
 * Turns a key spec such as {@code local:keys.json#orders} or {@code aws-kms:arn:aws:kms:…} into a
 * {@link MasterKey}. Providers register one through {@link ServiceLoader}; the CLI and
 * configuration files use {@link #resolveSpec(String, Map)}.
 */
public interface MasterKeyResolver {
  /** The scheme before the first colon, e.g. {@code aws-kms}. */
  String scheme();

  /**
   * @param spec everything after {@code scheme:}
   * @param options provider options such as {@code endpoint}; unknown options are an error
   */
  MasterKey resolve(String spec, Map<String, String> options);

  /** Resolves {@code scheme:spec} with the first registered resolver for that scheme. */
  static MasterKey resolveSpec(String keySpec, Map<String, String> options) {
    int colon = keySpec.indexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException("key spec must look like scheme:id, e.g. local:FILE#NAME");
    }
    String scheme = keySpec.substring(0, colon);
    for (MasterKeyResolver r : ServiceLoader.load(MasterKeyResolver.class, MasterKeyResolver.class.getClassLoader())) {
      if (r.scheme().equals(scheme)) {
        return r.resolve(keySpec.substring(colon + 1), options);
      }
    }
    throw new IllegalArgumentException("no provider for key scheme '" + scheme
        + "' (is its module, e.g. kms-aws, on the class path?)");
  }
}
