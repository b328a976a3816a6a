package dev.envelope.cli;

import dev.envelope.core.LocalKeyStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** One-time warnings, printed to stderr. */
final class Warnings {
  private static final Set<Path> WARNED = new HashSet<>();
  static java.io.PrintWriter err;

  private Warnings() {}

  static void afterResolve(String spec) {
    if (spec.startsWith("local:")) {
      String rest = spec.substring("local:".length());
      int hash = rest.lastIndexOf('#');
      if (hash > 0) {
        Path file = Path.of(rest.substring(0, hash));
        if (Files.exists(file)) {
          plainKeyFile(file, LocalKeyStore.open(file).isEncrypted());
        }
      }
    }
  }

  static synchronized void plainKeyFile(Path file, boolean encrypted) {
    if (!encrypted && WARNED.add(file.toAbsolutePath()) && err != null) {
      err.println("envelope: note: key file " + file + " is not encrypted; set ENVELOPE_PASSPHRASE to protect it");
    }
  }
}
