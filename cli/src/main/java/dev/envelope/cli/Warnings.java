package dev.envelope.cli;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/** One-time warnings, printed to stderr. */
final class Warnings {
  private static final Set<Path> WARNED = new HashSet<>();
  static java.io.PrintWriter err;

  private Warnings() {}

  /** Starts a new invocation: each warning is printed once per invocation. */
  static synchronized void reset(java.io.PrintWriter errWriter) {
    WARNED.clear();
    err = errWriter;
  }

  /**
   * Warns about a plain key file without opening it again (an encrypted one costs an Argon2id
   * derivation): without ENVELOPE_PASSPHRASE, a key file that resolved must be plain.
   */
  static void afterResolve(String spec) {
    if (spec.startsWith("local:") && System.getenv("ENVELOPE_PASSPHRASE") == null) {
      String rest = spec.substring("local:".length());
      int hash = rest.lastIndexOf('#');
      if (hash > 0) {
        plainKeyFile(Path.of(rest.substring(0, hash)), false);
      }
    }
  }

  static synchronized void plainKeyFile(Path file, boolean encrypted) {
    if (!encrypted && WARNED.add(file.toAbsolutePath()) && err != null) {
      err.println("envelope: note: key file " + file + " is not encrypted; set ENVELOPE_PASSPHRASE to protect it");
    }
  }
}
