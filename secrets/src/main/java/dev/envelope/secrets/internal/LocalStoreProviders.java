package dev.envelope.secrets.internal;

import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretStoreProvider;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;

/** The providers for the stores the secrets module ships: {@code env} and {@code dir:PATH}. */
public final class LocalStoreProviders {
  private LocalStoreProviders() {}

  static void noOptions(String scheme, Map<String, String> options) {
    if (!options.isEmpty()) {
      throw new IllegalArgumentException("store '" + scheme + "' takes no options, got "
          + options.keySet().stream().sorted().toList());
    }
  }

  /** {@code env}: the process environment. */
  public static final class Environment implements SecretStoreProvider {
    @Override
    public String scheme() {
      return "env";
    }

    @Override
    public SecretStore create(String spec, Map<String, String> options) {
      if (!spec.isEmpty()) {
        throw new IllegalArgumentException("store 'env' takes no argument: use 'env', not 'env:" + spec + "'");
      }
      noOptions("env", options);
      return SecretStore.environment();
    }
  }

  /** {@code dir:PATH}: files under a directory. */
  public static final class Directory implements SecretStoreProvider {
    @Override
    public String scheme() {
      return "dir";
    }

    @Override
    public SecretStore create(String spec, Map<String, String> options) {
      if (spec.isEmpty()) {
        throw new IllegalArgumentException("store 'dir' needs a directory: dir:PATH");
      }
      noOptions("dir", options);
      Path root;
      try {
        root = Path.of(spec);
      } catch (InvalidPathException e) {
        throw new IllegalArgumentException("store 'dir': not a valid path: " + spec);
      }
      return SecretStore.directory(root);
    }
  }
}
