package dev.envelope.secrets;

import java.util.Map;

/**
 * Creates a {@link SecretStore} from a store spec such as {@code env}, {@code dir:/run/secrets} or
 * {@code gcp-sm:projects/p}. Modules register providers through {@link java.util.ServiceLoader}
 * ({@code provides dev.envelope.secrets.SecretStoreProvider with …} in {@code module-info.java} and
 * {@code META-INF/services/dev.envelope.secrets.SecretStoreProvider}); the CLI and configuration
 * files go through {@link SecretStore#resolve(String, Map)}.
 *
 * <p>Built in: {@code env} (no spec, no options) and {@code dir:PATH}. kms-gcp adds
 * {@code gcp-sm:PROJECT}; other cloud modules add their own schemes.
 */
public interface SecretStoreProvider {
  /** The scheme before the first colon, e.g. {@code gcp-sm}. */
  String scheme();

  /**
   * A new store. If the store holds resources (a cloud client), it implements {@link AutoCloseable}
   * and the caller closes it.
   *
   * @param spec everything after {@code scheme:}, empty when the spec had no colon
   * @param options provider options such as {@code endpoint}
   * @throws IllegalArgumentException for a malformed spec, an unknown option or a bad option value
   */
  SecretStore create(String spec, Map<String, String> options);
}
