package dev.envelope.secrets;

import dev.envelope.core.SecretBytes;
import dev.envelope.secrets.internal.Json;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * One version of a secret: its value and where it came from. Immutable and thread-safe.
 *
 * <p>{@code toString()} shows name, version id, stages and length, never the value. Equality
 * compares the value in constant time.
 */
public final class SecretValue {
  /** Largest value accepted (AWS Secrets Manager and Google Secret Manager allow 64 KiB). */
  public static final int MAX_BYTES = 1 << 20;

  private final String name;
  private final String versionId;
  private final Set<String> stages;
  private final byte[] value;

  private SecretValue(String name, String versionId, Set<String> stages, byte[] value) {
    this.name = Objects.requireNonNull(name, "name");
    this.versionId = Objects.requireNonNull(versionId, "versionId");
    this.stages = Collections.unmodifiableSortedSet(new TreeSet<>(Objects.requireNonNull(stages, "stages")));
    if (value.length > MAX_BYTES) {
      throw new IllegalArgumentException("secret '" + name + "' is " + value.length
          + " bytes, more than " + MAX_BYTES);
    }
    this.value = value;
  }

  /**
   * A value read from a store. Copies {@code value}.
   *
   * @param name the secret's name in the store
   * @param versionId the store's id of this version
   * @param stages labels pointing at this version (AWS staging labels, GCP aliases); may be empty
   */
  public static SecretValue of(String name, String versionId, Set<String> stages, byte[] value) {
    return new SecretValue(name, versionId, stages, Objects.requireNonNull(value, "value").clone());
  }

  /** A text value, stored as UTF-8. */
  public static SecretValue ofString(String name, String versionId, Set<String> stages, String value) {
    return new SecretValue(name, versionId, stages,
        Objects.requireNonNull(value, "value").getBytes(StandardCharsets.UTF_8));
  }

  public String name() {
    return name;
  }

  public String versionId() {
    return versionId;
  }

  /** Labels pointing at this version when it was read, sorted. */
  public Set<String> stages() {
    return stages;
  }

  public boolean hasStage(String stage) {
    return stages.contains(stage);
  }

  /** Length of the value in bytes. */
  public int length() {
    return value.length;
  }

  /** A copy of the value; zero it when done if you can. */
  public byte[] asBytes() {
    return value.clone();
  }

  /** The value as key material, for APIs that take {@link SecretBytes}. */
  public SecretBytes asSecretBytes() {
    return SecretBytes.copyOf(value);
  }

  /**
   * The value as text.
   *
   * @throws SecretFormatException if the value is not valid UTF-8
   */
  public String asString() {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(value))
          .toString();
    } catch (CharacterCodingException e) {
      throw new SecretFormatException(describe() + " is not valid UTF-8");
    }
  }

  /**
   * The value parsed as JSON into {@code type} (a record such as {@link DbCredentials}, a class
   * with a default constructor, a {@code Map}). Unknown JSON fields are ignored; trailing content is
   * rejected.
   *
   * @throws SecretFormatException if the value is not JSON of that shape; the message gives the
   *     position and field names, never the value
   */
  public <T> T asJson(Class<T> type) {
    Objects.requireNonNull(type, "type");
    return Json.parse(value, type, describe());
  }

  /** True when {@code other} has the same version id and the same value. Constant-time on the value. */
  public boolean sameValue(SecretValue other) {
    return versionId.equals(other.versionId) && MessageDigest.isEqual(value, other.value);
  }

  private String describe() {
    return "secret '" + name + "' version '" + versionId + "'";
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof SecretValue other
        && name.equals(other.name)
        && stages.equals(other.stages)
        && sameValue(other);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, versionId, value.length);
  }

  @Override
  public String toString() {
    return "SecretValue[name=" + name + ", version=" + versionId + ", stages=" + stages + ", "
        + value.length + " bytes, value redacted]";
  }
}
