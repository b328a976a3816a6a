package dev.envelope.aws;

import dev.envelope.aws.internal.AwsClientSettings;
import dev.envelope.aws.internal.SecretsManagerErrors;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretNotFoundException;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretValue;
import dev.envelope.secrets.Version;
import dev.envelope.secrets.VersionInfo;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueRequest;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.ListSecretVersionIdsResponse;
import software.amazon.awssdk.services.secretsmanager.model.SecretVersionsListEntry;

/**
 * AWS Secrets Manager as a {@link SecretStore}.
 *
 * <pre>{@code
 * SecretStore aws = AwsSecretStore.create(secretsManagerClient);        // your client
 * SecretStore aws = AwsSecretStore.builder().region("eu-west-1").build(); // or one built here
 * }</pre>
 *
 * <p><b>Versions.</b> {@link Version#current()}, {@link Version#pending()} and
 * {@link Version#previous()} are the staging labels {@code AWSCURRENT}, {@code AWSPENDING} and
 * {@code AWSPREVIOUS}; {@link Version#stage(String)} is any staging label and
 * {@link Version#id(String)} a {@code VersionId}. Each read is one {@code GetSecretValue}; a
 * {@code SecretString} is returned as its UTF-8 bytes, a {@code SecretBinary} as is.
 * {@link #versions(String)} pages through {@code ListSecretVersionIds} (deprecated versions, which
 * carry no label, included), newest first. A secret name or its ARN may be used as the name.
 *
 * <p><b>Errors.</b> After the SDK's own retries: {@code ResourceNotFoundException} (no secret, or
 * no such label or version) and reads of a secret scheduled for deletion become
 * {@link SecretNotFoundException}; {@code AccessDeniedException} and credential errors
 * {@link dev.envelope.core.AccessDeniedException}; throttling, 5xx, timeouts and I/O errors a
 * retryable {@link KmsException}; anything else ({@code DecryptionFailure}, …) a non-retryable one.
 * Messages name the secret and the version, never the value.
 *
 * <p>Thread-safe and uncached: wrap it in {@link dev.envelope.secrets.CachingSecrets}.
 * {@link #close()} closes the client if this store built it.
 */
public final class AwsSecretStore implements SecretStore, AutoCloseable {
  public static final String CURRENT = "AWSCURRENT";
  public static final String PENDING = "AWSPENDING";
  public static final String PREVIOUS = "AWSPREVIOUS";
  /** Time allowed for one operation, retries included, unless the builder sets another. */
  public static final Duration DEFAULT_DEADLINE = AwsClientSettings.DEFAULT_DEADLINE;
  /** Attempts per operation (first try included) of the SDK standard retry strategy. */
  public static final int DEFAULT_MAX_ATTEMPTS = AwsClientSettings.DEFAULT_MAX_ATTEMPTS;

  private static final int MAX_NAME = 2048;
  private static final int MAX_LIST_PAGES = 100;

  private final SecretsManagerClient client;
  private final boolean ownsClient;

  private AwsSecretStore(SecretsManagerClient client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
  }

  /** A store over your client, which it never closes. */
  public static AwsSecretStore create(SecretsManagerClient client) {
    return new AwsSecretStore(Objects.requireNonNull(client, "client"), false);
  }

  public static Builder builder() {
    return new Builder();
  }

  @Override
  public SecretValue get(String name, Version version) {
    checkName(name);
    Objects.requireNonNull(version, "version");
    String what = "secret '" + name + "' (" + version + ")";
    GetSecretValueRequest.Builder request = GetSecretValueRequest.builder().secretId(name);
    String stage = null;
    switch (version.kind()) {
      case CURRENT -> stage = CURRENT;
      case PENDING -> stage = PENDING;
      case PREVIOUS -> stage = PREVIOUS;
      case STAGE -> stage = version.value();
      case ID -> request.versionId(version.value());
      default -> throw new IllegalArgumentException("unsupported version " + version);
    }
    if (stage != null) {
      request.versionStage(stage);
    }
    GetSecretValueRequest built = request.build();
    GetSecretValueResponse r = call("GetSecretValue", what, () -> client.getSecretValue(built));
    String versionId = r.versionId();
    if (versionId == null || versionId.isEmpty()) {
      throw new KmsException("AWS Secrets Manager answered " + what + " without a VersionId", false);
    }
    if (version.kind() == Version.Kind.ID && !versionId.equals(version.value())) {
      throw new KmsException("AWS Secrets Manager answered " + what + " with version " + versionId, false);
    }
    List<String> stages = r.hasVersionStages() ? r.versionStages() : List.of();
    if (stage != null && !stages.contains(stage)) {
      throw new KmsException("AWS Secrets Manager answered " + what + " with version " + versionId
          + ", which does not carry the label " + stage, false);
    }
    if (r.secretString() != null) {
      String s = r.secretString();
      if (s.length() > SecretValue.MAX_BYTES) {
        throw new KmsException(what + " is larger than " + SecretValue.MAX_BYTES + " bytes", false);
      }
      return SecretValue.ofString(name, versionId, Set.copyOf(stages), s);
    }
    SdkBytes binary = r.secretBinary();
    if (binary == null) {
      throw new KmsException("AWS Secrets Manager answered " + what + " with neither SecretString nor SecretBinary",
          false);
    }
    byte[] bytes = binary.asByteArray();
    try {
      if (bytes.length > SecretValue.MAX_BYTES) {
        throw new KmsException(what + " is larger than " + SecretValue.MAX_BYTES + " bytes", false);
      }
      return SecretValue.of(name, versionId, Set.copyOf(stages), bytes);
    } finally {
      Arrays.fill(bytes, (byte) 0);
    }
  }

  @Override
  public List<VersionInfo> versions(String name) {
    checkName(name);
    String what = "secret '" + name + "'";
    List<VersionInfo> out = new ArrayList<>();
    String token = null;
    for (int page = 0; ; page++) {
      if (page == MAX_LIST_PAGES) {
        throw new KmsException("AWS Secrets Manager listed more than " + MAX_LIST_PAGES + " pages of versions for "
            + what, false);
      }
      String t = token;
      ListSecretVersionIdsResponse r = call("ListSecretVersionIds", what, () -> client.listSecretVersionIds(
          b -> b.secretId(name).includeDeprecated(true).maxResults(100).nextToken(t)));
      if (r.hasVersions()) {
        for (SecretVersionsListEntry e : r.versions()) {
          if (e.versionId() == null || e.versionId().isEmpty()) {
            throw new KmsException("AWS Secrets Manager listed a version without VersionId for " + what, false);
          }
          out.add(new VersionInfo(e.versionId(), e.hasVersionStages() ? Set.copyOf(e.versionStages()) : Set.of(),
              VersionInfo.State.ENABLED, e.createdDate()));
        }
      }
      String next = r.nextToken();
      if (next == null || next.isEmpty()) {
        break;
      }
      if (next.equals(token)) {
        throw new KmsException("AWS Secrets Manager repeated a page token listing versions of " + what, false);
      }
      token = next;
    }
    out.sort(Comparator.comparing(VersionInfo::created, Comparator.nullsLast(Comparator.<Instant>reverseOrder())));
    return List.copyOf(out);
  }

  /** Closes the client if this store built it; a client passed to {@link #create} stays open. */
  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }

  @Override
  public String toString() {
    return "AwsSecretStore[" + client.serviceClientConfiguration().region() + "]";
  }

  private static void checkName(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isEmpty() || name.length() > MAX_NAME || name.chars().anyMatch(c -> Character.isISOControl(c)
        || Character.isWhitespace(c))) {
      throw new IllegalArgumentException("secret name must be a Secrets Manager secret name or ARN (1 to "
          + MAX_NAME + " characters, no whitespace)");
    }
  }

  private static <T> T call(String operation, String what, Supplier<T> request) {
    try {
      return request.get();
    } catch (SdkException e) {
      throw SecretsManagerErrors.map(operation, what, e);
    }
  }

  /**
   * Settings of the {@code SecretsManagerClient} an {@link AwsSecretStore} builds for itself: the
   * URLConnection HTTP client, the SDK's default credentials chain and region chain unless set,
   * the standard retry strategy within a per-operation deadline.
   */
  public static final class Builder {
    private final AwsClientSettings settings = new AwsClientSettings();

    private Builder() {}

    /** Endpoint override, e.g. the testkit fake or a VPC endpoint. */
    public Builder endpoint(URI endpoint) {
      settings.endpoint(endpoint);
      return this;
    }

    /** The client's region; by default the SDK's region chain ({@code AWS_REGION}, profile, …). */
    public Builder region(String region) {
      settings.region(region);
      return this;
    }

    public Builder credentialsProvider(AwsCredentialsProvider credentials) {
      settings.credentialsProvider(credentials);
      return this;
    }

    /** Attempts per operation, first try included, of the SDK standard retry strategy (1..20). */
    public Builder maxAttempts(int maxAttempts) {
      settings.maxAttempts(maxAttempts);
      return this;
    }

    /** Time for one operation including retries and backoff; default 10 s, at most 10 min. */
    public Builder deadline(Duration deadline) {
      settings.deadline(deadline);
      return this;
    }

    /** @throws IllegalStateException if no region is set and the SDK finds none */
    public AwsSecretStore build() {
      return new AwsSecretStore(settings.secretsManagerClient(), true);
    }
  }
}
