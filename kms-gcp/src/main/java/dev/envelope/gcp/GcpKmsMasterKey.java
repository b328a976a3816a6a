package dev.envelope.gcp;

import com.google.api.gax.rpc.ApiCallContext;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import com.google.cloud.kms.v1.DecryptRequest;
import com.google.cloud.kms.v1.DecryptResponse;
import com.google.cloud.kms.v1.EncryptRequest;
import com.google.cloud.kms.v1.EncryptResponse;
import com.google.cloud.kms.v1.KeyManagementServiceClient;
import com.google.cloud.kms.v1.KeyManagementServiceSettings;
import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import com.google.protobuf.UnsafeByteOperations;
import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyRef;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.KmsException;
import dev.envelope.core.MasterKey;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import dev.envelope.gcp.internal.Endpoint;
import dev.envelope.gcp.internal.FrameLogging;
import dev.envelope.gcp.internal.GoogleClients;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A Google Cloud KMS symmetric key ({@code ENCRYPT_DECRYPT}) as an Envelope master key.
 *
 * <pre>{@code
 * GcpKmsMasterKey key = GcpKmsMasterKey.builder()
 *     .keyName("projects/p/locations/europe-west1/keyRings/app/cryptoKeys/orders")
 *     .build();
 * }</pre>
 *
 * <p>Cloud KMS has no GenerateDataKey, so data keys are drawn locally and wrapped with one
 * {@code Encrypt} call whose {@code additional_authenticated_data} is the encryption context's
 * canonical form; {@code Decrypt} must present the same context. Both directions carry CRC32C
 * checksums: the request's plaintext (or ciphertext) and AAD checksums, which KMS verifies and
 * confirms with {@code verified_*} flags, and the response's ciphertext (or plaintext) checksum,
 * which this class verifies. A response that fails a check is discarded and the call repeated, up
 * to {@value #INTEGRITY_ATTEMPTS} attempts in all, as Google advises; if it keeps failing the
 * call ends with a non-retryable {@link KmsException}, since a persistent mismatch means a broken
 * path or tampering rather than a passing fault. An Encrypt answer naming a version of another key
 * is rejected the same way, at once.
 *
 * <p>The wrapped key records the key name as its key id and the full {@code cryptoKeyVersion}
 * name KMS answered with as its version. Decrypt is always sent to the key: KMS finds the version
 * inside its ciphertext, so data wrapped before a rotation keeps decrypting.
 *
 * <p>Errors: {@code INVALID_ARGUMENT} on Decrypt (altered ciphertext, other context, other key)
 * becomes {@link InvalidCiphertextException}; {@code NOT_FOUND} and {@code FAILED_PRECONDITION}
 * (disabled or destroyed version, no primary) {@link KeyUnavailableException};
 * {@code PERMISSION_DENIED} and {@code UNAUTHENTICATED} {@link AccessDeniedException}.
 * {@code UNAVAILABLE}, {@code RESOURCE_EXHAUSTED} and {@code DEADLINE_EXCEEDED} are retried by the
 * Google client with exponential backoff and jitter until the {@linkplain Builder#deadline
 * deadline}, then surface as a retryable {@link KmsException}; every other failure is a
 * non-retryable {@link KmsException}.
 *
 * <p>Credentials: Application Default Credentials, unless a client is given. An endpoint override
 * on a loopback address (e.g. the testkit fake) uses a plaintext channel and no credentials; any
 * other endpoint uses TLS and ADC. Immutable and thread-safe. {@link #close()} releases the
 * client if this key created it.
 */
public final class GcpKmsMasterKey implements MasterKey, AutoCloseable {
  /** Provider id in {@link KeyRef} and {@link WrappedKey}. */
  public static final String PROVIDER_ID = "gcp-kms";
  /** Time allowed for one wrap or unwrap, retries included, unless the builder sets another. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);
  /** Attempts made when responses fail their integrity checks. */
  public static final int INTEGRITY_ATTEMPTS = 3;

  private static final Pattern KEY_NAME =
      Pattern.compile("projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+");

  private final String keyName;
  private final KeyRef ref;
  private final KeyManagementServiceClient client;
  private final boolean ownsClient;
  private final Duration deadline;

  private GcpKmsMasterKey(String keyName, KeyManagementServiceClient client, boolean ownsClient, Duration deadline) {
    this.keyName = keyName;
    this.ref = new KeyRef(PROVIDER_ID, keyName);
    this.client = client;
    this.ownsClient = ownsClient;
    this.deadline = deadline;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code projects/P/locations/L/keyRings/R/cryptoKeys/K}. */
  public String keyName() {
    return keyName;
  }

  @Override
  public KeyRef ref() {
    return ref;
  }

  @Override
  public WrappedKey wrap(SecretBytes dataKey, EncryptionContext context) {
    Objects.requireNonNull(dataKey, "dataKey");
    byte[] plaintext = dataKey.unsafeBytes();
    byte[] aad = context.canonicalBytes();
    EncryptRequest request = EncryptRequest.newBuilder()
        .setName(keyName)
        // No copy of the data key: the request only lives for this call.
        .setPlaintext(UnsafeByteOperations.unsafeWrap(plaintext))
        .setPlaintextCrc32C(Int64Value.of(crc32c(plaintext)))
        .setAdditionalAuthenticatedData(UnsafeByteOperations.unsafeWrap(aad))
        .setAdditionalAuthenticatedDataCrc32C(Int64Value.of(crc32c(aad)))
        .build();
    long end = System.nanoTime() + deadline.toNanos();
    String problem = null;
    for (int attempt = 0; attempt < INTEGRITY_ATTEMPTS; attempt++) {
      EncryptResponse response = call(ctx -> client.encryptCallable().call(request, ctx), end, "Encrypt");
      if (!isVersionOfThisKey(response.getName())) {
        throw new KmsException("Cloud KMS Encrypt for " + keyName + " answered with a version of another key: "
            + response.getName(), false);
      }
      problem = checkEncrypt(response);
      if (problem == null) {
        if (response.getCiphertext().size() > WrappedKey.MAX_CIPHERTEXT_LENGTH) {
          throw new KmsException("Cloud KMS returned a ciphertext longer than a wrapped key may be", false);
        }
        return new WrappedKey(PROVIDER_ID, keyName, response.getName(), response.getCiphertext().toByteArray());
      }
    }
    throw integrityFailure("Encrypt", problem);
  }

  @Override
  public SecretBytes unwrap(WrappedKey wrapped, EncryptionContext context) {
    if (!canUnwrap(wrapped)) {
      throw new IllegalArgumentException("wrapped key belongs to " + wrapped.keyRef() + ", not " + ref);
    }
    byte[] ciphertext = wrapped.unsafeCiphertext();
    byte[] aad = context.canonicalBytes();
    DecryptRequest request = DecryptRequest.newBuilder()
        .setName(keyName)
        .setCiphertext(UnsafeByteOperations.unsafeWrap(ciphertext))
        .setCiphertextCrc32C(Int64Value.of(crc32c(ciphertext)))
        .setAdditionalAuthenticatedData(UnsafeByteOperations.unsafeWrap(aad))
        .setAdditionalAuthenticatedDataCrc32C(Int64Value.of(crc32c(aad)))
        .build();
    long end = System.nanoTime() + deadline.toNanos();
    String problem = null;
    for (int attempt = 0; attempt < INTEGRITY_ATTEMPTS; attempt++) {
      DecryptResponse response = call(ctx -> client.decryptCallable().call(request, ctx), end, "Decrypt");
      ByteString plaintext = response.getPlaintext();
      if (!response.hasPlaintextCrc32C()) {
        problem = "plaintext_crc32c missing";
      } else if (response.getPlaintextCrc32C().getValue() != crc32c(plaintext)) {
        problem = "plaintext_crc32c mismatch";
      } else {
        if (plaintext.size() != DATA_KEY_LENGTH) {
          // Authentic, but not a data key this library wrapped.
          throw new InvalidCiphertextException();
        }
        return SecretBytes.wrap(plaintext.toByteArray());
      }
    }
    throw integrityFailure("Decrypt", problem);
  }

  /** Null when the response passes every check, else what failed (names only, no data). */
  private @Nullable String checkEncrypt(EncryptResponse r) {
    if (!r.getVerifiedPlaintextCrc32C()) {
      return "verified_plaintext_crc32c is false";
    }
    if (!r.getVerifiedAdditionalAuthenticatedDataCrc32C()) {
      return "verified_additional_authenticated_data_crc32c is false";
    }
    if (!r.hasCiphertextCrc32C()) {
      return "ciphertext_crc32c missing";
    }
    if (r.getCiphertextCrc32C().getValue() != crc32c(r.getCiphertext())) {
      return "ciphertext_crc32c mismatch";
    }
    if (r.getCiphertext().isEmpty()) {
      return "empty ciphertext";
    }
    return null;
  }

  private boolean isVersionOfThisKey(String versionName) {
    String prefix = keyName + "/cryptoKeyVersions/";
    return versionName.startsWith(prefix) && versionName.length() > prefix.length()
        && versionName.indexOf('/', prefix.length()) < 0;
  }

  private KmsException integrityFailure(String method, @Nullable String problem) {
    return new KmsException("Cloud KMS " + method + " responses for " + keyName + " failed their integrity check "
        + INTEGRITY_ATTEMPTS + " times (last: " + problem + ")", false);
  }

  /** One call with the Google client's retries, bounded by what is left of the deadline. */
  private <R> R call(Function<ApiCallContext, R> rpc, long endNanos, String method) {
    long remaining = endNanos - System.nanoTime();
    if (remaining <= 0) {
      throw new KmsException("Cloud KMS " + method + " with " + keyName + " ran out of its " + deadline + " deadline", true);
    }
    ApiCallContext context = GoogleClients.callContext(Duration.ofNanos(remaining), deadline);
    try {
      return rpc.apply(context);
    } catch (ApiException e) {
      throw translate(e, method);
    }
  }

  private RuntimeException translate(ApiException e, String method) {
    StatusCode.Code code = e.getStatusCode().getCode();
    // The server's message stays in the cause: it names resources, never data.
    String message = "Cloud KMS " + method + " with " + keyName + " failed: " + code;
    switch (code) {
      case INVALID_ARGUMENT:
        return method.equals("Decrypt") ? new InvalidCiphertextException(e) : new KmsException(message, false, e);
      case NOT_FOUND:
      case FAILED_PRECONDITION:
        return new KeyUnavailableException(message, e);
      case PERMISSION_DENIED:
      case UNAUTHENTICATED:
        return new AccessDeniedException(message, e);
      case UNAVAILABLE:
      case RESOURCE_EXHAUSTED:
      case DEADLINE_EXCEEDED:
      case ABORTED:
      case INTERNAL:
      case UNKNOWN:
        return new KmsException(message, true, e);
      default:
        return new KmsException(message, false, e);
    }
  }

  private static long crc32c(byte[] data) {
    return GoogleClients.crc32c(data);
  }

  private static long crc32c(ByteString data) {
    return GoogleClients.crc32c(data);
  }

  /** Closes the Google client if this key created it; a client passed to the builder stays open. */
  @Override
  public void close() {
    if (ownsClient) {
      client.close();
      try {
        client.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @Override
  public String toString() {
    return "GcpKmsMasterKey[" + keyName + "]";
  }

  /** Builds a {@link GcpKmsMasterKey}; not thread-safe. */
  public static final class Builder {
    private @Nullable String keyName;
    private @Nullable KeyManagementServiceClient client;
    private @Nullable Endpoint endpoint;
    private Duration deadline = DEFAULT_DEADLINE;

    private Builder() {}

    /**
     * The crypto key, {@code projects/P/locations/L/keyRings/R/cryptoKeys/K} (not a version:
     * Encrypt uses the primary version, Decrypt the one inside the ciphertext).
     */
    public Builder keyName(String keyName) {
      Objects.requireNonNull(keyName, "keyName");
      if (!KEY_NAME.matcher(keyName).matches()) {
        throw new IllegalArgumentException(
            "keyName must look like projects/P/locations/L/keyRings/R/cryptoKeys/K, without a version");
      }
      this.keyName = keyName;
      return this;
    }

    /**
     * A client to use instead of one built from Application Default Credentials (e.g. with other
     * credentials or channel settings). The key's {@link #deadline} and retry policy still apply
     * per call; the key never closes this client.
     */
    public Builder client(KeyManagementServiceClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Overrides the endpoint, {@code host:port}. Loopback hosts ({@code localhost}, 127.0.0.0/8,
     * {@code [::1]}) get a plaintext channel without credentials, for the testkit fake; any other
     * host gets TLS and Application Default Credentials.
     */
    public Builder endpoint(String endpoint) {
      this.endpoint = Endpoint.parse(Objects.requireNonNull(endpoint, "endpoint"));
      return this;
    }

    /** Time allowed for one wrap or unwrap, retries included; default {@link #DEFAULT_DEADLINE}. */
    public Builder deadline(Duration deadline) {
      Objects.requireNonNull(deadline, "deadline");
      if (deadline.isNegative() || deadline.isZero() || deadline.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("deadline must be > 0 and at most 10 minutes");
      }
      this.deadline = deadline;
      return this;
    }

    /**
     * @throws IllegalStateException if no key name was set, if both a client and an endpoint were
     *     set, or if Application Default Credentials are not available
     */
    public GcpKmsMasterKey build() {
      FrameLogging.silence();
      if (keyName == null) {
        throw new IllegalStateException("keyName is required");
      }
      if (client != null && endpoint != null) {
        throw new IllegalStateException("set either client or endpoint, not both: configure the client's endpoint instead");
      }
      if (client != null) {
        return new GcpKmsMasterKey(keyName, client, false, deadline);
      }
      return new GcpKmsMasterKey(keyName, createClient(endpoint), true, deadline);
    }

    private static KeyManagementServiceClient createClient(@Nullable Endpoint endpoint) {
      KeyManagementServiceSettings.Builder settings = KeyManagementServiceSettings.newBuilder();
      if (endpoint != null) {
        GoogleClients.applyEndpoint(settings, endpoint);
      }
      try {
        return KeyManagementServiceClient.create(settings.build());
      } catch (IOException e) {
        throw new IllegalStateException("could not create the Cloud KMS client: are Application Default "
            + "Credentials configured (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, "
            + "or a metadata server)?", e);
      }
    }
  }
}
