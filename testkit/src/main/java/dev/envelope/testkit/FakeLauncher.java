package dev.envelope.testkit;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/**
 * Starts one family of fakes for {@link Testkit}'s command line ({@code --aws}, {@code --gcp},
 * {@code --azure}, …). Registered through {@link java.util.ServiceLoader} (module-info
 * {@code provides} and {@code META-INF/services/dev.envelope.testkit.FakeLauncher}), so adding a
 * cloud needs no change to {@link Testkit}.
 */
public interface FakeLauncher {
  /** The flag that selects this launcher, without dashes, e.g. {@code aws}. */
  String name();

  /** One line for {@code --help}. */
  String description();

  /**
   * Options this launcher accepts, name to help text; on the command line they are written
   * {@code --NAME-OPTION=VALUE}, e.g. {@code --aws-port=4566}.
   */
  Map<String, String> options();

  /**
   * Starts the fakes.
   *
   * @param options the options given on the command line for this launcher, by option name
   * @throws IllegalArgumentException for an unknown option or a bad value
   */
  Running start(Map<String, String> options) throws IOException;

  /** Fakes that are running. */
  interface Running extends AutoCloseable {
    /** Human-readable lines: endpoints, demo keys and secrets. */
    List<String> describe();

    /** Environment variables a client process should set to talk to the fakes. */
    Map<String, String> environment();

    @Override
    void close();
  }
}
