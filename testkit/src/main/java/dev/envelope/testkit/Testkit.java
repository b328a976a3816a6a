package dev.envelope.testkit;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;

/**
 * {@code java -jar envelope-testkit.jar [--aws] [--gcp] [--azure] [--aws-port=4566] …}: starts
 * protocol fakes on 127.0.0.1 for manual use and demos, prints their endpoints and the
 * environment variables to export, and runs until interrupted. Without a selection flag every
 * available fake starts.
 */
public final class Testkit {
  private Testkit() {}

  public static void main(String[] args) {
    Started started;
    try {
      started = start(List.of(args), System.out);
    } catch (IllegalArgumentException e) {
      System.err.println("envelope-testkit: " + e.getMessage());
      System.err.println();
      usage(System.err, launchers());
      System.exit(2);
      return;
    } catch (IOException e) {
      System.err.println("envelope-testkit: cannot start: " + e.getMessage());
      System.exit(1);
      return;
    }
    if (started.fakes().isEmpty()) {
      return; // --help
    }
    CountDownLatch stop = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      started.close();
      stop.countDown();
    }, "envelope-testkit-shutdown"));
    System.out.println();
    System.out.println("Press Ctrl-C to stop.");
    System.out.flush();
    try {
      stop.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Parses the command line, starts the selected fakes and prints their description to
   * {@code out}. The caller closes the result.
   *
   * @throws IllegalArgumentException for an unknown flag or option
   */
  public static Started start(List<String> args, PrintStream out) throws IOException {
    Map<String, FakeLauncher> launchers = launchers();
    List<String> selected = new ArrayList<>();
    Map<String, Map<String, String>> options = new LinkedHashMap<>();
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--help") || arg.equals("-h")) {
        usage(out, launchers);
        return new Started(List.of());
      }
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument: " + arg);
      }
      String flag = arg.substring(2);
      String value = null;
      int eq = flag.indexOf('=');
      if (eq >= 0) {
        value = flag.substring(eq + 1);
        flag = flag.substring(0, eq);
      }
      if (launchers.containsKey(flag) && value == null) {
        selected.add(flag);
        continue;
      }
      int dash = flag.indexOf('-');
      FakeLauncher owner = dash > 0 ? launchers.get(flag.substring(0, dash)) : null;
      if (owner == null || !owner.options().containsKey(flag.substring(dash + 1))) {
        throw new IllegalArgumentException("unknown option: --" + flag);
      }
      if (value == null) {
        if (i + 1 >= args.size()) {
          throw new IllegalArgumentException("--" + flag + " needs a value");
        }
        value = args.get(++i);
      }
      options.computeIfAbsent(owner.name(), k -> new LinkedHashMap<>()).put(flag.substring(dash + 1), value);
    }
    if (selected.isEmpty()) {
      selected.addAll(launchers.keySet());
    }
    for (String name : options.keySet()) {
      if (!selected.contains(name)) {
        throw new IllegalArgumentException("options for --" + name + " given, but --" + name + " is not selected");
      }
    }
    List<FakeLauncher.Running> running = new ArrayList<>();
    try {
      for (String name : selected) {
        running.add(launchers.get(name).start(options.getOrDefault(name, Map.of())));
      }
    } catch (IOException | RuntimeException e) {
      running.forEach(FakeLauncher.Running::close);
      throw e;
    }
    for (FakeLauncher.Running r : running) {
      r.describe().forEach(out::println);
      if (!r.environment().isEmpty()) {
        out.println("  environment:");
        r.environment().forEach((k, v) -> out.println("    export " + k + "=" + v));
      }
      out.println();
    }
    out.flush();
    return new Started(running);
  }

  private static Map<String, FakeLauncher> launchers() {
    Map<String, FakeLauncher> out = new LinkedHashMap<>();
    for (FakeLauncher l : ServiceLoader.load(FakeLauncher.class, Testkit.class.getClassLoader())) {
      out.putIfAbsent(l.name(), l);
    }
    return out;
  }

  private static void usage(PrintStream out, Map<String, FakeLauncher> launchers) {
    out.println("Usage: java -jar envelope-testkit.jar [" + String.join("] [",
        launchers.keySet().stream().map(n -> "--" + n).toList()) + "] [--NAME-OPTION=VALUE ...]");
    out.println("Starts protocol fakes on 127.0.0.1 (all of them when none is selected).");
    for (FakeLauncher l : launchers.values()) {
      out.println();
      out.println("  --" + l.name() + "  " + l.description());
      l.options().forEach((k, v) -> out.println("      --" + l.name() + "-" + k + "=VALUE  " + v));
    }
  }

  /** The fakes one {@link #start} started. */
  public static final class Started implements AutoCloseable {
    private final List<FakeLauncher.Running> fakes;

    Started(List<FakeLauncher.Running> fakes) {
      this.fakes = List.copyOf(fakes);
    }

    public List<FakeLauncher.Running> fakes() {
      return fakes;
    }

    @Override
    public void close() {
      for (FakeLauncher.Running r : fakes) {
        try {
          r.close();
        } catch (RuntimeException ignored) {
          // Stop the others regardless.
        }
      }
    }
  }
}
