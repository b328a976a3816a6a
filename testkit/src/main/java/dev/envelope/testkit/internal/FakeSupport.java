package dev.envelope.testkit.internal;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * What the AWS, Google Cloud and Azure fakes and their launchers do alike: the loopback port
 * setting, the launchers' {@code port} option, the server's daemon threads and injected latency. Not exported:
 * the fakes' public builders and launchers keep their own API and messages.
 */
public final class FakeSupport {
  private FakeSupport() {}

  /** A builder's port on 127.0.0.1, where 0 picks a free one. */
  public static int checkPort(int port) {
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("port must be 0..65535");
    }
    return port;
  }

  /** Daemon threads named {@code PREFIX1}, {@code PREFIX2}, …, so a forgotten fake never keeps the JVM alive. */
  public static ThreadFactory daemonThreads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** A launcher's option list, starting with the {@code port} option every launcher has. */
  public static Map<String, String> portOption() {
    Map<String, String> o = new LinkedHashMap<>();
    o.put("port", "port on 127.0.0.1 (default: a free port)");
    return o;
  }

  /** The value of launcher {@code launcher}'s {@code port} option ({@code --LAUNCHER-port}). */
  public static int parsePort(String launcher, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--" + launcher + "-port must be a number");
    }
  }

  /** Applies the options of a launcher whose only option is {@code port}. */
  public static void applyPortOnly(String launcher, Map<String, String> options, IntConsumer port) {
    options.forEach((k, v) -> {
      if (!k.equals("port")) {
        throw new IllegalArgumentException("unknown option --" + launcher + "-" + k);
      }
      port.accept(parsePort(launcher, v));
    });
  }

  /** Holds the calling (handler) thread for {@code delay}, the fakes' injected latency; an interrupt ends it early. */
  public static void pause(Duration delay) {
    if (delay.isZero()) {
      return;
    }
    try {
      Thread.sleep(delay.toMillis(), delay.toNanosPart() % 1_000_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
