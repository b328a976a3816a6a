package dev.envelope.rotation;

import java.util.concurrent.TimeUnit;

/** How the rate limiter waits; tests pass one that advances a fake {@link dev.envelope.core.Ticker}. */
@FunctionalInterface
public interface Sleeper {
  void sleep(long nanos) throws InterruptedException;

  static Sleeper system() {
    return nanos -> TimeUnit.NANOSECONDS.sleep(nanos);
  }
}
