package dev.envelope.core;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
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

  /**
   * Parses a positive duration option, for resolvers' {@code deadline}: {@code 500ms}, {@code 3s},
   * {@code 2m}, or ISO-8601 such as {@code PT1.5S}.
   *
   * @throws IllegalArgumentException naming {@code name} if {@code value} is not such a duration
   */
  static Duration durationOption(String name, String value) {
    String v = value.strip().toLowerCase(Locale.ROOT);
    Duration d;
    try {
      if (v.startsWith("pt")) {
        d = Duration.parse(v);
      } else if (v.endsWith("ms")) {
        d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
      } else if (v.endsWith("s")) {
        d = Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)));
      } else if (v.endsWith("m")) {
        d = Duration.ofMinutes(Long.parseLong(v.substring(0, v.length() - 1)));
      } else {
        d = null;
      }
    } catch (NumberFormatException | DateTimeParseException | ArithmeticException e) {
      d = null;
    }
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException("option " + name + " must be a positive duration such as 500ms, 3s, 2m "
          + "or PT1.5S, not '" + value + "'");
    }
    return d;
  }

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
