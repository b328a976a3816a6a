package dev.envelope.secrets;

/**
 * Told by {@link CachingSecrets} when a refresh returns a different version or value than the one
 * cached. Runs on the thread that refreshed (a background refresh thread, or the caller of
 * {@code get}/{@code refreshNow}); keep it short. An exception it throws is logged (its class only)
 * and does not affect the cache or other listeners.
 */
@FunctionalInterface
public interface SecretChangeListener {
  void onChange(SecretValue previous, SecretValue current);
}
