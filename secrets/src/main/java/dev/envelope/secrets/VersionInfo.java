package dev.envelope.secrets;

import java.time.Instant;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Metadata of one version of a secret, as {@link SecretStore#versions(String)} lists it. Never holds
 * the value.
 *
 * @param id the store's version id (AWS version id, GCP version number, Azure version)
 * @param stages the labels pointing at this version: AWS staging labels ({@code AWSCURRENT},
 *     {@code AWSPENDING}, {@code AWSPREVIOUS}, custom), GCP aliases; empty where the store has none
 * @param state whether the version can be read
 * @param created when the store created the version, null where it does not say
 */
public record VersionInfo(String id, Set<String> stages, State state, @Nullable Instant created) {
  /** Readability of a version. AWS versions are always {@link #ENABLED}. */
  public enum State {
    ENABLED,
    DISABLED,
    DESTROYED
  }

  public VersionInfo {
    Objects.requireNonNull(id, "id");
    stages = Collections.unmodifiableSortedSet(new TreeSet<>(Objects.requireNonNull(stages, "stages")));
    Objects.requireNonNull(state, "state");
  }

  /** True when {@code stage} points at this version. */
  public boolean hasStage(String stage) {
    return stages.contains(stage);
  }
}
