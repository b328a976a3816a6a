package dev.envelope.core.internal.keyfile;

import java.util.List;

/** One named key in the key section (docs/keyfile.md §4): versions ascending, one primary. */
public record KeyFileEntry(String name, int primary, List<KeyFileVersion> versions) {
  public KeyFileEntry {
    KeyNames.check(name);
    versions = List.copyOf(versions);
    if (versions.isEmpty() || versions.size() > KeyFileCodec.MAX_VERSIONS_PER_KEY) {
      throw new IllegalArgumentException("a key has 1.." + KeyFileCodec.MAX_VERSIONS_PER_KEY + " versions");
    }
    boolean hasPrimary = false;
    int previous = 0;
    for (KeyFileVersion v : versions) {
      if (v.version() <= previous) {
        throw new IllegalArgumentException("versions must be strictly ascending");
      }
      previous = v.version();
      hasPrimary |= v.version() == primary;
    }
    if (!hasPrimary) {
      throw new IllegalArgumentException("the primary version must be one of the versions");
    }
  }

  public int latestVersion() {
    return versions.get(versions.size() - 1).version();
  }

  public void destroy() {
    versions.forEach(KeyFileVersion::destroy);
  }

  public static void destroyAll(List<KeyFileEntry> entries) {
    if (entries != null) {
      entries.forEach(KeyFileEntry::destroy);
    }
  }
}
