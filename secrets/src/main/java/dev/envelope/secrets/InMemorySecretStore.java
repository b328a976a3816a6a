package dev.envelope.secrets;

import dev.envelope.core.SecretNotFoundException;
import dev.envelope.secrets.internal.Names;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A {@link SecretStore} in memory that models AWS Secrets Manager's staging labels, for tests,
 * demos and local development. Thread-safe.
 *
 * <p>A rotation is {@link #putPending} (new version labelled {@code AWSPENDING}), then changing the
 * password in the database, then {@link #promote} ({@code AWSCURRENT} moves to the new version,
 * {@code AWSPREVIOUS} to the old one, {@code AWSPENDING} is removed). As in AWS, versions that lose
 * every label stay readable by id; the oldest of them are dropped beyond 100.
 */
public final class InMemorySecretStore implements SecretStore {
  public static final String AWSCURRENT = "AWSCURRENT";
  public static final String AWSPENDING = "AWSPENDING";
  public static final String AWSPREVIOUS = "AWSPREVIOUS";

  private static final int MAX_UNLABELLED_VERSIONS = 100;

  private final Clock clock;
  private final Map<String, Secret> secrets = new HashMap<>();

  private static final class Entry {
    final String id;
    final byte[] value;
    final Instant created;
    final Set<String> stages = new HashSet<>();

    Entry(String id, byte[] value, Instant created) {
      this.id = id;
      this.value = value;
      this.created = created;
    }
  }

  /** Versions oldest first. */
  private static final class Secret {
    final LinkedHashMap<String, Entry> versions = new LinkedHashMap<>();

    @Nullable Entry withStage(String stage) {
      for (Entry e : versions.values()) {
        if (e.stages.contains(stage)) {
          return e;
        }
      }
      return null;
    }
  }

  InMemorySecretStore(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Stores a new version and makes it current (creating the secret if needed); the former current
   * version becomes {@code AWSPREVIOUS}.
   *
   * @return the new version's id
   */
  public String put(String name, String value) {
    return put(name, Objects.requireNonNull(value, "value").getBytes(StandardCharsets.UTF_8));
  }

  /** Binary variant of {@link #put(String, String)}. */
  public synchronized String put(String name, byte[] value) {
    Secret s = secrets.computeIfAbsent(Names.check(name), n -> new Secret());
    Entry e = add(name, s, value);
    promote(s, e);
    prune(s);
    return e.id;
  }

  /**
   * Stores a new version of an existing secret labelled {@code AWSPENDING} (taking the label from
   * any other version), as the first step of a rotation. The current version does not change.
   *
   * @return the new version's id
   * @throws SecretNotFoundException if the secret does not exist
   */
  public String putPending(String name, String value) {
    return putPending(name, Objects.requireNonNull(value, "value").getBytes(StandardCharsets.UTF_8));
  }

  /** Binary variant of {@link #putPending(String, String)}. */
  public synchronized String putPending(String name, byte[] value) {
    Secret s = secret(name);
    Entry e = add(name, s, value);
    moveLabel(s, AWSPENDING, e);
    prune(s);
    return e.id;
  }

  /**
   * Makes {@code versionId} current, as the last step of a rotation: {@code AWSCURRENT} moves to it,
   * {@code AWSPREVIOUS} to the version that was current, and {@code AWSPENDING} is removed from it.
   *
   * @throws SecretNotFoundException if the secret or version does not exist
   */
  public synchronized void promote(String name, String versionId) {
    Secret s = secret(name);
    promote(s, entry(name, s, versionId));
    prune(s);
  }

  /**
   * Moves a label to {@code versionId}, like AWS {@code UpdateSecretVersionStage}; moving
   * {@code AWSCURRENT} is {@link #promote}.
   */
  public synchronized void moveStage(String name, String stage, String versionId) {
    String label = Version.stage(stage).value();
    Secret s = secret(name);
    Entry e = entry(name, s, versionId);
    if (AWSCURRENT.equals(label)) {
      promote(s, e);
    } else {
      moveLabel(s, Objects.requireNonNull(label), e);
    }
    prune(s);
  }

  /**
   * Removes a label from whichever version has it (e.g. {@code AWSPENDING} to abandon a rotation).
   *
   * @throws IllegalArgumentException for {@code AWSCURRENT}, which a secret always has
   */
  public synchronized void removeStage(String name, String stage) {
    if (AWSCURRENT.equals(stage)) {
      throw new IllegalArgumentException("AWSCURRENT cannot be removed, only moved");
    }
    Secret s = secret(name);
    s.versions.values().forEach(e -> e.stages.remove(stage));
    prune(s);
  }

  /** Deletes the secret and all its versions. */
  public synchronized void delete(String name) {
    if (secrets.remove(Names.check(name)) == null) {
      throw notFound(name);
    }
  }

  @Override
  public synchronized SecretValue get(String name, Version version) {
    Objects.requireNonNull(version, "version");
    Secret s = secret(name);
    Entry e = switch (version.kind()) {
      case CURRENT -> s.withStage(AWSCURRENT);
      case PENDING -> s.withStage(AWSPENDING);
      case PREVIOUS -> s.withStage(AWSPREVIOUS);
      case STAGE -> s.withStage(Objects.requireNonNull(version.value()));
      case ID -> s.versions.get(version.value());
    };
    if (e == null) {
      throw new SecretNotFoundException("secret '" + name + "' has no version " + version);
    }
    return SecretValue.of(name, e.id, e.stages, e.value);
  }

  @Override
  public synchronized List<VersionInfo> versions(String name) {
    Secret s = secret(name);
    List<VersionInfo> out = new ArrayList<>(s.versions.size());
    for (Entry e : s.versions.values()) {
      out.add(0, new VersionInfo(e.id, e.stages, VersionInfo.State.ENABLED, e.created));
    }
    return out;
  }

  private Secret secret(String name) {
    Secret s = secrets.get(Names.check(name));
    if (s == null) {
      throw notFound(name);
    }
    return s;
  }

  private static SecretNotFoundException notFound(String name) {
    return new SecretNotFoundException("secret '" + name + "' not found");
  }

  private static Entry entry(String name, Secret s, String versionId) {
    Entry e = s.versions.get(Objects.requireNonNull(versionId, "versionId"));
    if (e == null) {
      throw new SecretNotFoundException("secret '" + name + "' has no version id:" + versionId);
    }
    return e;
  }

  private Entry add(String name, Secret s, byte[] value) {
    // SecretValue enforces the size bound; build one now so a too-large value fails before storing.
    SecretValue.of(name, "", Set.of(), value);
    Entry e = new Entry(UUID.randomUUID().toString(), value.clone(), clock.instant());
    s.versions.put(e.id, e);
    return e;
  }

  private static void promote(Secret s, Entry target) {
    Entry current = s.withStage(AWSCURRENT);
    if (current != target) {
      if (current != null) {
        current.stages.remove(AWSCURRENT);
        moveLabel(s, AWSPREVIOUS, current);
      }
      target.stages.add(AWSCURRENT);
    }
    target.stages.remove(AWSPENDING);
  }

  private static void moveLabel(Secret s, String label, Entry target) {
    s.versions.values().forEach(e -> e.stages.remove(label));
    target.stages.add(label);
  }

  private static void prune(Secret s) {
    long unlabelled = s.versions.values().stream().filter(e -> e.stages.isEmpty()).count();
    for (Iterator<Entry> it = s.versions.values().iterator(); it.hasNext() && unlabelled > MAX_UNLABELLED_VERSIONS; ) {
      if (it.next().stages.isEmpty()) {
        it.remove();
        unlabelled--;
      }
    }
  }
}
