package dev.envelope.cli;

import dev.envelope.core.LocalKeyStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

@Command(name = "keys", mixinStandardHelpOptions = true,
    description = "Manage local key files (AES-256 master keys; encrypted with ENVELOPE_PASSPHRASE when set).",
    subcommands = {KeysCommand.Create.class, KeysCommand.Rotate.class, KeysCommand.ListKeys.class})
final class KeysCommand implements Runnable {
  @Spec
  CommandSpec spec;

  @Override
  public void run() {
    throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: create, rotate or list");
  }

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = "Create a named key (and the key file if it does not exist).")
  static final class Create implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--keyfile", required = true, paramLabel = "FILE")
    Path keyfile;

    @Option(names = "--name", required = true, paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      LocalKeyStore store = Files.exists(keyfile) ? LocalKeyStore.open(keyfile) : LocalKeyStore.create(keyfile);
      Warnings.plainKeyFile(keyfile, store.isEncrypted());
      store.createKey(name);
      spec.commandLine().getOut().println("created key " + name + " version 1 in " + keyfile
          + "  (use --key local:" + keyfile + "#" + name + ")");
      return 0;
    }
  }

  @Command(name = "rotate", mixinStandardHelpOptions = true,
      description = "Add a new version of a key; new data keys use it, old versions keep decrypting.")
  static final class Rotate implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--keyfile", required = true, paramLabel = "FILE")
    Path keyfile;

    @Option(names = "--name", required = true, paramLabel = "NAME")
    String name;

    @Override
    public Integer call() {
      LocalKeyStore store = LocalKeyStore.open(keyfile);
      Warnings.plainKeyFile(keyfile, store.isEncrypted());
      int version = store.rotate(name);
      spec.commandLine().getOut().println("rotated key " + name + ": version " + version + " is now primary");
      return 0;
    }
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "List keys, versions and dates (never key bytes).")
  static final class ListKeys implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--keyfile", required = true, paramLabel = "FILE")
    Path keyfile;

    @Override
    public Integer call() {
      LocalKeyStore store = LocalKeyStore.open(keyfile);
      var out = spec.commandLine().getOut();
      out.println("key file " + keyfile + (store.isEncrypted() ? " (encrypted)" : " (NOT encrypted)"));
      for (var key : store.list()) {
        out.println(key.name() + "  primary version " + key.primaryVersion());
        for (var v : key.versions()) {
          out.println("  version " + v.version() + "  created " + v.created()
              + (v.version() == key.primaryVersion() ? "  (primary)" : ""));
        }
      }
      return 0;
    }
  }
}
