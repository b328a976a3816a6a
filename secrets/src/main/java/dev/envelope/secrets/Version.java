package dev.envelope.secrets;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Which version of a secret to read. Each store maps the symbolic versions onto its own model:
 *
 * <table>
 *   <caption>How stores resolve versions</caption>
 *   <tr><th>version</th><th>AWS Secrets Manager</th><th>Google Secret Manager</th><th>Azure Key Vault</th></tr>
 *   <tr><td>{@link #current()}</td><td>stage {@code AWSCURRENT}</td><td>newest enabled version
 *       ({@code latest} while enabled), or the one a configured alias names</td><td>newest enabled version whose
 *       not-before time is absent or past</td></tr>
 *   <tr><td>{@link #pending()}</td><td>stage {@code AWSPENDING}</td>
 *       <td>the newest enabled version newer than the alias-named current one (only with an alias)</td>
 *       <td>the newest enabled version whose not-before time is still in the future</td></tr>
 *   <tr><td>{@link #previous()}</td><td>stage {@code AWSPREVIOUS}</td>
 *       <td colspan="2">the enabled version before the current one, as the adapter documents</td></tr>
 *   <tr><td>{@link #id(String)}</td><td>version id</td><td>version number</td><td>version id</td></tr>
 *   <tr><td>{@link #stage(String)}</td><td>staging label</td><td>alias</td><td>not supported</td></tr>
 * </table>
 *
 * <p>A store that cannot resolve a version throws {@link dev.envelope.core.SecretNotFoundException}.
 * Versions are values: equal versions are interchangeable (they are cache keys).
 */
public final class Version {
  /** What a version designates; {@link #value()} is set for {@link #ID} and {@link #STAGE}. */
  public enum Kind {
    CURRENT,
    PENDING,
    PREVIOUS,
    ID,
    STAGE
  }

  private static final int MAX_LENGTH = 256;
  private static final Version CURRENT = new Version(Kind.CURRENT, null);
  private static final Version PENDING = new Version(Kind.PENDING, null);
  private static final Version PREVIOUS = new Version(Kind.PREVIOUS, null);

  private final Kind kind;
  private final @Nullable String value;

  private Version(Kind kind, @Nullable String value) {
    this.kind = kind;
    this.value = value;
  }

  /** The version applications should use now. */
  public static Version current() {
    return CURRENT;
  }

  /** The version a rotation has created but not yet made current, if a rotation is under way. */
  public static Version pending() {
    return PENDING;
  }

  /** The version that was current before the last rotation. */
  public static Version previous() {
    return PREVIOUS;
  }

  /** One exact version, by the id the store gave it. */
  public static Version id(String versionId) {
    return new Version(Kind.ID, check(versionId, "version id"));
  }

  /** The version a store-specific label points at (an AWS staging label, a GCP alias). */
  public static Version stage(String stageName) {
    return new Version(Kind.STAGE, check(stageName, "stage name"));
  }

  private static String check(String s, String what) {
    Objects.requireNonNull(s, what);
    if (s.isBlank() || s.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(what + " must be 1 to " + MAX_LENGTH + " characters, not blank");
    }
    for (int i = 0; i < s.length(); i++) {
      if (Character.isISOControl(s.charAt(i))) {
        throw new IllegalArgumentException(what + " must not contain control characters");
      }
    }
    return s;
  }

  public Kind kind() {
    return kind;
  }

  /** The version id for {@link Kind#ID}, the label for {@link Kind#STAGE}, otherwise null. */
  public @Nullable String value() {
    return value;
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof Version v && v.kind == kind && Objects.equals(v.value, value);
  }

  @Override
  public int hashCode() {
    return kind.hashCode() * 31 + Objects.hashCode(value);
  }

  /** {@code current}, {@code pending}, {@code previous}, {@code id:…} or {@code stage:…}. */
  @Override
  public String toString() {
    return switch (kind) {
      case CURRENT -> "current";
      case PENDING -> "pending";
      case PREVIOUS -> "previous";
      case ID -> "id:" + value;
      case STAGE -> "stage:" + value;
    };
  }
}
