package dev.envelope.secrets;

import dev.envelope.secrets.internal.DirectoryStore;
import dev.envelope.secrets.internal.EnvironmentStore;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceLoader;
import java.util.TreeSet;

/**
 * A place secrets are read from: AWS Secrets Manager ({@code AwsSecretStore} in kms-aws), Google
 * Secret Manager ({@code GcpSecretStore} in kms-gcp), Azure Key Vault ({@code AzureSecretStore} in
 * kms-azure), environment variables, a directory of files, or memory.
 *
 * <p>Implementations are thin and uncached (wrap them in {@link CachingSecrets}), thread-safe, and
 * map their failures to Envelope's exceptions:
 *
 * <ul>
 *   <li>{@link dev.envelope.core.SecretNotFoundException}: no such secret, or no such version or
 *       stage (for {@link Version#pending()}: no rotation is under way);
 *   <li>{@link dev.envelope.core.AccessDeniedException}: the caller may not read it;
 *   <li>{@link dev.envelope.core.KmsException} with {@code isRetryable()} for throttling, 5xx,
 *       timeouts and I/O errors, not retryable for other failures.
 * </ul>
 *
 * Messages name secrets and versions, never values.
 */
public interface SecretStore {
  /**
   * Reads one version of a secret.
   *
   * @throws IllegalArgumentException if {@code name} is not a valid name for this store
   */
  SecretValue get(String name, Version version);

  /** Reads the current version. */
  default SecretValue get(String name) {
    return get(name, Version.current());
  }

  /**
   * Every version the store lists for {@code name}, with its stages, state and creation time, newest
   * first where the store knows creation times. Values are not read.
   */
  List<VersionInfo> versions(String name);

  /**
   * Secrets from this process's environment variables. A name is looked up as given, then in
   * upper case with every character other than a letter or digit replaced by {@code _}
   * ({@code prod/db} → {@code PROD_DB}). Only {@link Version#current()} exists.
   */
  static SecretStore environment() {
    return new EnvironmentStore(System.getenv());
  }

  /** Like {@link #environment()}, over a given map instead of the process environment. */
  static SecretStore environment(Map<String, String> variables) {
    return new EnvironmentStore(Map.copyOf(variables));
  }

  /**
   * Secrets as files under {@code root} (Kubernetes secret volumes, Docker secrets): the secret
   * {@code prod/db} is the file {@code root/prod/db}, read as exact bytes (a trailing newline is part
   * of the value). Names that would leave {@code root} are rejected. Only {@link Version#current()}
   * exists; its version id changes when the file's modification time does.
   */
  static SecretStore directory(Path root) {
    return new DirectoryStore(root);
  }

  /**
   * The store a spec names, created by the first registered {@link SecretStoreProvider} for its
   * scheme: {@code env}, {@code dir:/run/secrets}, {@code gcp-sm:projects/p} (kms-gcp), … The scheme
   * is everything before the first colon, the rest is passed to the provider. A store that holds a
   * cloud client implements {@link AutoCloseable}; close it when done.
   *
   * @param options provider options, e.g. {@code endpoint}; a provider rejects options it does not know
   * @throws IllegalArgumentException if no provider is registered for the scheme, or the provider
   *     rejects the spec or the options
   */
  static SecretStore resolve(String storeSpec, Map<String, String> options) {
    Objects.requireNonNull(storeSpec, "storeSpec");
    Objects.requireNonNull(options, "options");
    int colon = storeSpec.indexOf(':');
    String scheme = colon < 0 ? storeSpec : storeSpec.substring(0, colon);
    String spec = colon < 0 ? "" : storeSpec.substring(colon + 1);
    if (scheme.isEmpty()) {
      throw new IllegalArgumentException("store spec must look like scheme or scheme:argument, e.g. env or dir:/run/secrets");
    }
    TreeSet<String> known = new TreeSet<>();
    for (SecretStoreProvider p : ServiceLoader.load(SecretStoreProvider.class, SecretStoreProvider.class.getClassLoader())) {
      if (p.scheme().equals(scheme)) {
        return Objects.requireNonNull(p.create(spec, Map.copyOf(options)), "provider returned no store");
      }
      known.add(p.scheme());
    }
    throw new IllegalArgumentException("no provider for store scheme '" + scheme + "' (registered: "
        + String.join(", ", known) + "; aws-sm, gcp-sm and azure-kv come with kms-aws, kms-gcp and kms-azure)");
  }

  /** An empty in-memory store with AWS-style stages, for tests, demos and local development. */
  static InMemorySecretStore inMemory() {
    return new InMemorySecretStore(java.time.Clock.systemUTC());
  }
}
