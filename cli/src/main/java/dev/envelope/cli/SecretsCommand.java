package dev.envelope.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.envelope.secrets.SecretFormatException;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretValue;
import dev.envelope.secrets.Version;
import dev.envelope.secrets.VersionInfo;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code envelope secrets get|versions}: read a secret's metadata (its value only with
 * {@code --reveal}) or list its versions, from any store a {@code SecretStoreProvider} serves.
 */
@Command(name = "secrets", mixinStandardHelpOptions = true,
    description = "Read secrets from environment variables, a directory, Google Secret Manager, AWS Secrets "
        + "Manager or Azure Key Vault. Prints metadata; the value only with --reveal.",
    subcommands = {SecretsCommand.Get.class, SecretsCommand.Versions.class})
final class SecretsCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: get or versions");
  }

  /** {@code --store}, {@code --endpoint}, {@code --store-option}; shared by both subcommands. */
  static final class StoreOptions {
    @Option(names = "--store", paramLabel = "SPEC", defaultValue = "env",
        description = "Where the secret lives: env (default), dir:PATH, gcp-sm:PROJECT, aws-sm, azure-kv:VAULT_URL. "
            + "Cloud stores need their module (kms-gcp, kms-aws, kms-azure) on the class path.")
    String store;

    @Option(names = "--endpoint", paramLabel = "SCHEME=ENDPOINT",
        description = "Endpoint override for the store, e.g. gcp-sm=127.0.0.1:9090 (loopback fakes from the testkit).")
    Map<String, String> endpoints = new HashMap<>();

    @Option(names = "--store-option", paramLabel = "NAME=VALUE",
        description = "Any other store option, e.g. current-alias=current for gcp-sm.")
    Map<String, String> options = new HashMap<>();

    SecretStore open() {
      int colon = store.indexOf(':');
      String scheme = colon < 0 ? store : store.substring(0, colon);
      Map<String, String> all = new HashMap<>(options);
      for (Map.Entry<String, String> e : endpoints.entrySet()) {
        if (!e.getKey().equals(scheme)) {
          throw new IllegalArgumentException("--endpoint is for '" + e.getKey() + "' but the store is '" + scheme + "'");
        }
        all.put("endpoint", e.getValue());
      }
      return SecretStore.resolve(store, all);
    }

    /** Runs {@code body} with the store open, and closes it if it holds a client. */
    <T> T with(Function<SecretStore, T> body) throws Exception {
      SecretStore s = open();
      try {
        return body.apply(s);
      } finally {
        if (s instanceof AutoCloseable c) {
          c.close();
        }
      }
    }
  }

  /** At most one of the version selectors; none means the current version. */
  static final class VersionChoice {
    @Option(names = "--version", paramLabel = "ID", description = "An exact version id (GCP: the version number).")
    String id;

    @Option(names = "--stage", paramLabel = "STAGE", description = "An AWS staging label or a GCP alias.")
    String stage;

    @Option(names = "--pending", description = "The version a rotation created but has not made current yet.")
    boolean pending;

    @Option(names = "--previous", description = "The version that was current before the last rotation.")
    boolean previous;

    Version version() {
      if (id != null) {
        return Version.id(id);
      }
      if (stage != null) {
        return Version.stage(stage);
      }
      if (pending) {
        return Version.pending();
      }
      return previous ? Version.previous() : Version.current();
    }
  }

  private static ObjectMapper json() {
    return new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  }

  // No mixinStandardHelpOptions: its --version would clash with the secret's --version.
  @Command(name = "get",
      description = "Show a secret's name, version id, stages and length; its value only with --reveal. "
          + "Exit 3 when the secret or version does not exist or access is denied.")
  static final class Get implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help message and exit.")
    boolean help;

    @Parameters(index = "0", paramLabel = "NAME", description = "The secret's name in the store.")
    String name;

    @Mixin
    StoreOptions store;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    VersionChoice choice;

    @Option(names = "--json", description = "Metadata as JSON (with the value only when --reveal is given too).")
    boolean json;

    @Option(names = "--reveal",
        description = "Print the value: its exact bytes (no newline added), or a \"value\" field with --json.")
    boolean reveal;

    @Override
    public Integer call() throws Exception {
      Version version = choice == null ? Version.current() : choice.version();
      SecretValue v = store.with(s -> s.get(name, version));
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        Map<String, Object> m = metadata(v);
        if (reveal) {
          putValue(m, v);
        }
        out.println(json().writeValueAsString(m));
      } else if (reveal) {
        byte[] bytes = v.asBytes();
        try {
          Main.stdout.write(bytes);
          Main.stdout.flush();
        } finally {
          Arrays.fill(bytes, (byte) 0);
        }
      } else {
        out.println("name     " + v.name());
        out.println("store    " + store.store);
        out.println("version  " + v.versionId());
        out.println("stages   " + (v.stages().isEmpty() ? "(none)" : String.join(", ", v.stages())));
        out.println("length   " + v.length() + " bytes");
        out.println("value    (hidden; --reveal prints it)");
      }
      return 0;
    }

    private Map<String, Object> metadata(SecretValue v) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", v.name());
      m.put("store", store.store);
      m.put("version", v.versionId());
      m.put("stages", List.copyOf(v.stages()));
      m.put("length", v.length());
      return m;
    }

    private static void putValue(Map<String, Object> m, SecretValue v) {
      try {
        m.put("value", v.asString());
      } catch (SecretFormatException e) {
        byte[] bytes = v.asBytes();
        try {
          m.put("valueBase64", Base64.getEncoder().encodeToString(bytes));
        } finally {
          Arrays.fill(bytes, (byte) 0);
        }
      }
    }
  }

  @Command(name = "versions", mixinStandardHelpOptions = true,
      description = "List a secret's versions, newest first, with state, creation time and stages. Reads no value.")
  static final class Versions implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "NAME", description = "The secret's name in the store.")
    String name;

    @Mixin
    StoreOptions store;

    @Option(names = "--json", description = "Machine-readable output.")
    boolean json;

    @Override
    public Integer call() throws Exception {
      List<VersionInfo> versions = store.with(s -> s.versions(name));
      PrintWriter out = spec.commandLine().getOut();
      if (json) {
        List<Map<String, Object>> list = new ArrayList<>();
        for (VersionInfo v : versions) {
          Map<String, Object> m = new LinkedHashMap<>();
          m.put("id", v.id());
          m.put("state", v.state().name());
          m.put("created", v.created() == null ? null : v.created().toString());
          m.put("stages", List.copyOf(v.stages()));
          list.add(m);
        }
        out.println(json().writeValueAsString(list));
        return 0;
      }
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"VERSION", "STATE", "CREATED", "STAGES"});
      for (VersionInfo v : versions) {
        rows.add(new String[] {v.id(), v.state().name(), v.created() == null ? "-" : v.created().toString(),
            String.join(", ", v.stages())});
      }
      int[] width = new int[3];
      for (String[] r : rows) {
        for (int i = 0; i < width.length; i++) {
          width[i] = Math.max(width[i], r[i].length());
        }
      }
      String format = "%-" + width[0] + "s  %-" + width[1] + "s  %-" + width[2] + "s  %s";
      for (String[] r : rows) {
        out.println(String.format(format, (Object[]) r).stripTrailing());
      }
      return 0;
    }
  }
}
