/**
 * Rotation-aware secrets.
 *
 * <ul>
 *   <li>{@link dev.envelope.secrets.SecretStore}: the SPI a secret service implements (get a
 *       version by name, list versions); local stores for environment variables, a directory of
 *       files and memory.
 *   <li>{@link dev.envelope.secrets.CachingSecrets}: TTL cache that refreshes ahead of expiry in
 *       the background, serves a stale value for a bounded time while the store fails, and tells
 *       listeners when a secret changes.
 *   <li>{@link dev.envelope.secrets.RotatingDataSource}: a JDBC {@code DataSource} that reads its
 *       credentials from a secret and survives rotations.
 * </ul>
 *
 * <p>No type here puts a secret value in {@code toString()}, an exception message or a log line.
 */
@NullMarked
package dev.envelope.secrets;

import org.jspecify.annotations.NullMarked;
