package dev.envelope.core;

import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One row of a data-key table (docs/fields.md §3): a field data key wrapped under a master key.
 * Not secret: only the master key can unwrap it. A destroyed row keeps its id, master key and
 * creation time as a tombstone, so reads can say the key was destroyed, but no longer holds the
 * wrapped key.
 *
 * @param id the data-key id that field values carry (docs/fields.md §2.1), or
 *     {@link #INDEX_ROOT_ID} for the blind-index root key
 * @param masterKey the master key that wrapped it
 * @param masterKeyVersion the master key version that wrapped it, or empty where the provider has
 *     none
 * @param wrappedKey the provider's wrapped bytes; null if and only if the row is destroyed
 * @param created when the row was created
 * @param state lifecycle state
 */
public record DataKeyRecord(long id, KeyRef masterKey, String masterKeyVersion, byte[] wrappedKey,
    Instant created, State state) {

  /** Id of the blind-index root key row (docs/fields.md §5); never a valid field data-key id. */
  public static final long INDEX_ROOT_ID = 0L;

  /** Lifecycle of a data key (docs/fields.md §3). */
  public enum State {
    /** May be used to encrypt new values by the encryptor that created it. */
    ACTIVE,
    /** Decrypts existing values; never encrypts again. */
    RETIRED,
    /** Wrapped key deleted: values under it can never be decrypted again (crypto-shredding). */
    DESTROYED
  }

  public DataKeyRecord {
    Objects.requireNonNull(masterKey, "masterKey");
    Objects.requireNonNull(masterKeyVersion, "masterKeyVersion");
    Objects.requireNonNull(created, "created");
    Objects.requireNonNull(state, "state");
    if ((state == State.DESTROYED) != (wrappedKey == null)) {
      throw new IllegalArgumentException("a data-key row holds a wrapped key if and only if it is not destroyed");
    }
    if (wrappedKey != null) {
      // Validates the lengths the same way a message header would.
      new WrappedKey(masterKey.provider(), masterKey.keyId(), masterKeyVersion, wrappedKey);
      wrappedKey = wrappedKey.clone();
    }
  }

  /** A new active row for {@code wrapped}. */
  public static DataKeyRecord active(long id, WrappedKey wrapped, Instant created) {
    return new DataKeyRecord(id, wrapped.keyRef(), wrapped.version(), wrapped.unsafeCiphertext(), created,
        State.ACTIVE);
  }

  /**
   * The wrapped key as the master key SPI takes it.
   *
   * @throws KeyUnavailableException if the row is destroyed
   */
  public WrappedKey wrapped() {
    if (wrappedKey == null) {
      throw new KeyUnavailableException("data key " + idToString(id) + " was destroyed");
    }
    return new WrappedKey(masterKey.provider(), masterKey.keyId(), masterKeyVersion, wrappedKey);
  }

  /** A copy of the wrapped bytes, or null when destroyed. */
  @Override
  public byte[] wrappedKey() {
    return wrappedKey == null ? null : wrappedKey.clone();
  }

  /** The same row with another state; destroying drops the wrapped key. */
  public DataKeyRecord withState(State newState) {
    return new DataKeyRecord(id, masterKey, masterKeyVersion,
        newState == State.DESTROYED ? null : wrappedKey, created, newState);
  }

  /** The same row wrapped under another master key (after a rewrap). */
  public DataKeyRecord withWrapped(WrappedKey w) {
    if (state == State.DESTROYED) {
      throw new IllegalStateException("a destroyed data key cannot be rewrapped");
    }
    return new DataKeyRecord(id, w.keyRef(), w.version(), w.unsafeCiphertext(), created, state);
  }

  /** Data-key ids print as 16 lowercase hex digits, as in docs/fields.md. */
  public static String idToString(long id) {
    return HexFormat.of().toHexDigits(id);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof DataKeyRecord r
        && id == r.id
        && masterKey.equals(r.masterKey)
        && masterKeyVersion.equals(r.masterKeyVersion)
        && Arrays.equals(wrappedKey, r.wrappedKey)
        && created.equals(r.created)
        && state == r.state;
  }

  @Override
  public int hashCode() {
    return Objects.hash(id, masterKey, masterKeyVersion, created, state) * 31 + Arrays.hashCode(wrappedKey);
  }

  @Override
  public String toString() {
    return "DataKeyRecord[" + idToString(id) + " " + state + " under " + masterKey
        + (masterKeyVersion.isEmpty() ? "" : " version " + masterKeyVersion) + ", created " + created + "]";
  }
}
