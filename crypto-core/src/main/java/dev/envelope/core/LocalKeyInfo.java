package dev.envelope.core;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * What {@link LocalKeyStore#list()} shows about one key: its name, versions and primary version.
 * Never key bytes.
 *
 * @param name the key's name
 * @param primaryVersion the version new wraps use
 * @param versions every version the key file holds, oldest first
 */
public record LocalKeyInfo(String name, int primaryVersion, List<Version> versions) {
  public LocalKeyInfo {
    Objects.requireNonNull(name, "name");
    versions = List.copyOf(versions);
    if (versions.isEmpty()) {
      throw new IllegalArgumentException("a key has at least one version");
    }
    if (versions.stream().noneMatch(v -> v.version() == primaryVersion)) {
      throw new IllegalArgumentException("the primary version must be one of the versions");
    }
  }

  /** The primary version's details. */
  public Version primary() {
    for (Version v : versions) {
      if (v.version() == primaryVersion) {
        return v;
      }
    }
    throw new AssertionError("checked in the constructor");
  }

  /**
   * One version of a local key.
   *
   * @param version the version number, from 1
   * @param created when the version was added (millisecond precision)
   */
  public record Version(int version, Instant created) {
    public Version {
      if (version < 1) {
        throw new IllegalArgumentException("versions start at 1");
      }
      Objects.requireNonNull(created, "created");
    }
  }
}
