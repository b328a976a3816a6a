package dev.envelope.cli;

import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.EnvelopeException;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretNotFoundException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code envelope}: keys, encrypt/decrypt/inspect, secrets, demo.
 *
 * <p>Exit codes: 0 success; 1 the ciphertext is invalid, altered, or the context does not match;
 * 2 usage error (including a store or key scheme no provider serves); 3 a key is unavailable, a
 * secret or the requested version of it does not exist, or access was denied; 4 KMS, secret store
 * or I/O failure; 5 a rotation job finished but some rows could not be migrated.
 */
@Command(
    name = "envelope",
    mixinStandardHelpOptions = true,
    version = "envelope 0.1.0-SNAPSHOT",
    description = "Envelope encryption with AWS KMS, Google Cloud KMS, Azure Key Vault or local key files.",
    subcommands = {
        KeysCommand.class,
        EncryptCommand.class,
        DecryptCommand.class,
        InspectCommand.class,
        ReencryptCommand.class,
        RewrapCommand.class,
        RewrapDataKeysCommand.class,
        SecretsCommand.class,
        DemoCommand.class
    })
public final class Main implements Runnable {
  public static final int EXIT_INVALID_CIPHERTEXT = 1;
  public static final int EXIT_USAGE = 2;
  public static final int EXIT_KEY = 3;
  public static final int EXIT_FAILURE = 4;

  /** Binary standard streams for the current invocation; tests swap them. */
  static InputStream stdin = System.in;
  static OutputStream stdout = System.out;

  public static void main(String[] args) {
    System.exit(run(args, System.in, System.out, System.err));
  }

  /** Runs one command line; returns its exit code. */
  public static int run(String[] args, InputStream in, OutputStream out, OutputStream err) {
    stdin = in;
    stdout = out;
    PrintWriter outWriter = new PrintWriter(new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8), true);
    PrintWriter errWriter = new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true);
    Warnings.reset(errWriter);
    CommandLine cmd = new CommandLine(new Main());
    cmd.setOut(outWriter);
    cmd.setErr(errWriter);
    cmd.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
      errWriter.println("envelope: " + describe(ex));
      return exitCode(ex);
    });
    try {
      return cmd.execute(args);
    } finally {
      outWriter.flush();
      errWriter.flush();
      if (out instanceof PrintStream ps) {
        ps.flush();
      }
    }
  }

  static String describe(Throwable ex) {
    if (ex instanceof InvalidCiphertextException) {
      return ex.getMessage();
    }
    if (ex instanceof EnvelopeException || ex instanceof IllegalArgumentException || ex instanceof IllegalStateException) {
      return ex.getMessage();
    }
    if (ex instanceof UncheckedIOException u) {
      return "I/O error: " + u.getCause().getMessage();
    }
    if (ex instanceof java.io.IOException) {
      return "I/O error: " + ex.getMessage();
    }
    // Unknown types: class name only, since a message could echo input.
    return "unexpected error (" + ex.getClass().getName() + ")";
  }

  static int exitCode(Throwable ex) {
    if (ex instanceof InvalidCiphertextException) {
      return EXIT_INVALID_CIPHERTEXT;
    }
    if (ex instanceof IllegalArgumentException || ex instanceof CommandLine.ParameterException) {
      return EXIT_USAGE;
    }
    if (ex instanceof KeyUnavailableException || ex instanceof AccessDeniedException
        || ex instanceof SecretNotFoundException) {
      return EXIT_KEY;
    }
    if (ex instanceof KmsException) {
      return EXIT_FAILURE;
    }
    return EXIT_FAILURE;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(new CommandLine(this), "missing command; see envelope --help");
  }
}
