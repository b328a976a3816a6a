package dev.envelope.core;

/**
 * A nanosecond time source for every time-based rule (cache ages, rotation), so tests advance
 * time instead of sleeping.
 */
@FunctionalInterface
public interface Ticker {
  /** Nanoseconds from an arbitrary origin, like {@link System#nanoTime()}. */
  long read();

  static Ticker system() {
    return System::nanoTime;
  }
}
