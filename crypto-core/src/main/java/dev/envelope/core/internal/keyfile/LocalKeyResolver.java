package dev.envelope.core.internal.keyfile;

import dev.envelope.core.LocalKeyStore;
import dev.envelope.core.MasterKey;
import dev.envelope.core.MasterKeyResolver;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeSet;

/**
 * Resolves {@code local:FILE#NAME}: key {@code NAME} of key file {@code FILE}, opened with
 * {@code ENVELOPE_PASSPHRASE} when set. The last {@code #} separates the two, since key names
 * cannot contain one but paths can. Takes no options.
 */
public final class LocalKeyResolver implements MasterKeyResolver {
  public static final String SCHEME = "local";

  /** ServiceLoader needs a public no-argument constructor. */
  public LocalKeyResolver() {}

  @Override
  public String scheme() {
    return SCHEME;
  }

  @Override
  public MasterKey resolve(String spec, Map<String, String> options) {
    if (!options.isEmpty()) {
      throw new IllegalArgumentException("local keys take no options, got " + new TreeSet<>(options.keySet()));
    }
    int hash = spec.lastIndexOf('#');
    if (hash <= 0 || hash == spec.length() - 1) {
      throw new IllegalArgumentException("a local key spec looks like local:FILE#NAME");
    }
    String name = KeyNames.check(spec.substring(hash + 1));
    Path file;
    try {
      file = Path.of(spec.substring(0, hash));
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException("invalid key file path in local key spec", e);
    }
    return LocalKeyStore.open(file).masterKey(name);
  }
}
