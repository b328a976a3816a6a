package dev.envelope.rotation;

import dev.envelope.core.Envelope;
import dev.envelope.rotation.internal.JobSpec;
import dev.envelope.rotation.internal.Transform;
import java.util.Objects;

/**
 * Re-wraps the data key inside each message-format value under new master keys with
 * {@link Envelope#rewrap}: the body is copied untouched, so only the header changes and no value
 * is ever decrypted to plaintext. Same batching, checkpoints, throttling and compare-and-set
 * writes as {@link ReencryptJob}.
 *
 * <pre>{@code
 * Envelope target = Envelope.builder().masterKeys(newKey).alsoDecryptWith(oldKey).build();
 * RewrapJob.builder().dataSource(ds).table("documents").idColumn("id").column("body")
 *     .context(row -> EncryptionContext.of("doc", row.idString()))
 *     .to(target).build().run();
 * }</pre>
 */
public final class RewrapJob extends SpecJob {
  private RewrapJob(JobSpec spec) {
    super("RewrapJob", spec);
  }

  public static Builder builder() {
    return new Builder();
  }

  public static final class Builder extends JobBuilder<Builder> {
    private Envelope target;

    private Builder() {}

    /**
     * The envelope whose master keys every value must end up wrapped under. It must also be able
     * to unwrap the old values: give it the old keys with {@code alsoDecryptWith}.
     */
    public Builder to(Envelope target) {
      this.target = Objects.requireNonNull(target, "target");
      return this;
    }

    public RewrapJob build() {
      if (target == null) {
        throw new IllegalStateException("to(envelope) is required");
      }
      return new RewrapJob(spec("rewrap", Transform.rewrap(target)));
    }
  }
}
