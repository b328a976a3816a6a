package dev.envelope.secrets.internal;

import dev.envelope.core.SecretNotFoundException;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretValue;
import dev.envelope.secrets.Version;
import dev.envelope.secrets.VersionInfo;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/** Secrets from environment variables; see {@link SecretStore#environment()}. */
public final class EnvironmentStore implements SecretStore {
  /** The environment does not change under a running process, so it has one version. */
  static final String VERSION_ID = "environment";

  private final Map<String, String> variables;

  public EnvironmentStore(Map<String, String> variables) {
    this.variables = Objects.requireNonNull(variables, "variables");
  }

  /** {@code prod/db-password} → {@code PROD_DB_PASSWORD}. */
  static String variableName(String name) {
    StringBuilder sb = new StringBuilder(name.length());
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      sb.append((c < 128 && Character.isLetterOrDigit(c)) ? c : '_');
    }
    return sb.toString().toUpperCase(Locale.ROOT);
  }

  private @Nullable String lookup(String name) {
    String v = variables.get(name);
    return v != null ? v : variables.get(variableName(name));
  }

  @Override
  public SecretValue get(String name, Version version) {
    Names.check(name);
    Objects.requireNonNull(version, "version");
    String v = lookup(name);
    if (v == null) {
      throw new SecretNotFoundException("no environment variable " + name + " or " + variableName(name));
    }
    if (version.kind() != Version.Kind.CURRENT && !version.equals(Version.id(VERSION_ID))) {
      throw new SecretNotFoundException("secret '" + name + "' has no version " + version
          + ": environment variables have only the current one");
    }
    return SecretValue.ofString(name, VERSION_ID, Set.of(), v);
  }

  @Override
  public List<VersionInfo> versions(String name) {
    Names.check(name);
    if (lookup(name) == null) {
      throw new SecretNotFoundException("no environment variable " + name + " or " + variableName(name));
    }
    return List.of(new VersionInfo(VERSION_ID, Set.of(), VersionInfo.State.ENABLED, null));
  }

  @Override
  public String toString() {
    return "EnvironmentStore";
  }
}
