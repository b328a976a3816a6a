package dev.envelope.rotation;

import dev.envelope.core.Envelope;
import dev.envelope.core.FieldEncryptor;
import dev.envelope.rotation.internal.JobSpec;
import dev.envelope.rotation.internal.Transform;
import java.util.Objects;

/**
 * Decrypts each value of a column with one cipher and encrypts it with another (retire a data key,
 * change format, leave a master key for good), a batch per transaction, resumable, throttled, and
 * with compare-and-set writes so a value the application changed meanwhile is never overwritten.
 *
 * <pre>{@code
 * RotationReport r = ReencryptJob.builder()
 *     .dataSource(ds).table("users").idColumn("id").column("ssn")
 *     .context(row -> EncryptionContext.of("table", "users", "id", row.idString()))
 *     .from(oldEnvelope).to(newEnvelope)
 *     .batchSize(500).rateLimit(2000)
 *     .build()
 *     .run(progressListener);
 * }</pre>
 *
 * <p>Rows whose value {@link ValueCipher#isCurrent is already current} under the target are
 * skipped without a key call, so a second run over a finished table changes nothing.
 */
public final class ReencryptJob extends SpecJob {
  private ReencryptJob(JobSpec spec) {
    super("ReencryptJob", spec);
  }

  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder extends JobBuilder<Builder> {
    private ValueCipher from;
    private ValueCipher to;

    private Builder() {}

    /** Decrypts the existing values. */
    public Builder from(ValueCipher from) {
      this.from = Objects.requireNonNull(from, "from");
      return this;
    }

    /** Decrypts existing message values with this envelope (its master keys and {@code alsoDecryptWith} keys). */
    public Builder from(Envelope from) {
      return from(ValueCipher.of(Objects.requireNonNull(from, "from")));
    }

    /** Decrypts existing field values. */
    public Builder from(FieldEncryptor from) {
      return from(ValueCipher.of(Objects.requireNonNull(from, "from")));
    }

    /** Encrypts the new values, and decides which values are already current. */
    public Builder to(ValueCipher to) {
      this.to = Objects.requireNonNull(to, "to");
      return this;
    }

    /** Encrypts new message values under this envelope's master keys. */
    public Builder to(Envelope to) {
      return to(ValueCipher.of(Objects.requireNonNull(to, "to")));
    }

    /**
     * Encrypts new field values; every field value not under one of {@code dataKeysToReplace} is
     * current (see {@link ValueCipher#of(FieldEncryptor, long...)}).
     */
    public Builder to(FieldEncryptor to, long... dataKeysToReplace) {
      return to(ValueCipher.of(Objects.requireNonNull(to, "to"), dataKeysToReplace));
    }

    public ReencryptJob build() {
      if (from == null || to == null) {
        throw new IllegalStateException("from(...) and to(...) are required");
      }
      return new ReencryptJob(spec("reencrypt", Transform.reencrypt(from, to)));
    }
  }
}
