package dev.envelope.testkit.aws;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.envelope.testkit.CallCounter;
import dev.envelope.testkit.FaultInjector;
import dev.envelope.testkit.aws.internal.AwsError;
import dev.envelope.testkit.aws.internal.AwsHttpHandler;
import dev.envelope.testkit.aws.internal.KmsService;
import dev.envelope.testkit.aws.internal.SecretsManagerService;
import dev.envelope.testkit.internal.FakeSupport;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Pattern;

/**
 * AWS KMS and AWS Secrets Manager on one loopback HTTP port, speaking the AWS JSON 1.1 protocol
 * that the real SDKs use ({@code X-Amz-Target: TrentService.*} and {@code secretsmanager.*}).
 * Point a real {@code KmsClient} or {@code SecretsManagerClient} at {@link #endpoint()} with any
 * static credentials:
 *
 * <pre>{@code
 * try (AwsFake aws = AwsFake.start()) {
 *   KmsClient kms = KmsClient.builder().endpointOverride(aws.endpoint()).region(Region.of(aws.region()))
 *       .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create("testkit", "testkit")))
 *       .httpClientBuilder(UrlConnectionHttpClient.builder()).build();
 *   String keyArn = aws.createKey(aws.region());
 *   aws.faults().throttle("GenerateDataKey", 2);
 *   …
 *   assertThat(aws.calls().count("GenerateDataKey")).isEqualTo(3);
 * }
 * }</pre>
 *
 * <p><b>Regions.</b> Each request's region is read from its SigV4 credential scope (signatures are
 * accepted without verification), so one fake serves every region and a client built for
 * {@code us-west-2} sees only that region's keys and secrets. A multi-Region key
 * ({@code mrk-…}, CreateKey with {@code MultiRegion}) replicated with ReplicateKey shares its key
 * material with its replicas: a ciphertext made in one region decrypts with the replica's ARN in
 * another.
 *
 * <p><b>KMS.</b> CreateKey, DescribeKey, ListKeys, Create/Update/Delete/ListAliases,
 * GenerateDataKey, GenerateDataKeyWithoutPlaintext, Encrypt, Decrypt, ReEncrypt, Enable/DisableKey,
 * Enable/DisableKeyRotation, GetKeyRotationStatus, RotateKeyOnDemand, ListKeyRotations,
 * Schedule/CancelKeyDeletion, ReplicateKey. Symmetric keys only. Ciphertext blobs are AES-256-GCM
 * under the key's backing version with the encryption context bound as AAD (format in
 * {@code CiphertextBlob}); rotation adds a backing version and old blobs keep decrypting.
 * Automatic rotation happens when the {@linkplain Builder#clock clock} passes the rotation date.
 * Responses carry the key ARN in {@code KeyId}, as KMS does.
 *
 * <p><b>Secrets Manager.</b> CreateSecret, PutSecretValue, GetSecretValue (by VersionId and/or
 * VersionStage), DescribeSecret, UpdateSecretVersionStage, ListSecretVersionIds, DeleteSecret,
 * RestoreSecret, ListSecrets, with AWSCURRENT/AWSPREVIOUS moving as the service moves them.
 *
 * <p><b>Faults.</b> {@link #faults()} knows throttling ({@code ThrottlingException}, HTTP 400),
 * server errors ({@code KMSInternalException} / {@code InternalServiceError}, HTTP 500),
 * timeouts, latency and any named error such as {@code AccessDeniedException}
 * (HTTP 500 for {@code KMSInternalException}, {@code DependencyTimeoutException},
 * {@code KeyUnavailableException}, {@code InternalServiceError}; 400 otherwise).
 * {@link #calls()} counts calls per operation name.
 */
public final class AwsFake implements AutoCloseable {
  public static final String DEFAULT_REGION = "us-east-1";
  public static final String DEFAULT_ACCOUNT = "111122223333";
  /** Dummy credentials for clients; the fake accepts any. */
  public static final String ACCESS_KEY_ID = "testkit";
  public static final String SECRET_ACCESS_KEY = "testkit";
  private static final int MAX_LOGGED_REQUESTS = 10_000;

  static {
    // Without TCP_NODELAY the JDK server's separate header and body writes meet the client's
    // delayed ACK: ~40 ms per call on loopback. Read once, when the first JDK server starts.
    if (System.getProperty("sun.net.httpserver.nodelay") == null) {
      System.setProperty("sun.net.httpserver.nodelay", "true");
    }
  }

  /** One request as the fake saw it: no payloads, no values. */
  public record Request(String service, String operation, String region, String resourceId) {}

  private final HttpServer server;
  private final ExecutorService executor;
  private final KmsService kms;
  private final SecretsManagerService secretsManager;
  private final FaultInjector faults = new FaultInjector();
  private final CallCounter calls = new CallCounter();
  private final ArrayDeque<Request> requests = new ArrayDeque<>();
  private final String region;
  private final String account;
  private final URI endpoint;

  private AwsFake(Builder b) throws IOException {
    this.region = b.region;
    this.account = b.account;
    this.kms = new KmsService(account, b.clock);
    this.secretsManager = new SecretsManagerService(account, b.clock);
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), b.port), 0);
    this.executor = Executors.newCachedThreadPool(FakeSupport.daemonThreads("aws-fake-"));
    server.setExecutor(executor);
    server.createContext("/", new AwsHttpHandler(kms, secretsManager, faults, calls, region, this::log));
    server.start();
    this.endpoint = URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** A fake on an ephemeral port with the default region and account. */
  public static AwsFake start() {
    return builder().start();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code http://127.0.0.1:PORT}: the endpoint of both KMS and Secrets Manager. */
  public URI endpoint() {
    return endpoint;
  }

  public URI kmsEndpoint() {
    return endpoint;
  }

  public URI secretsManagerEndpoint() {
    return endpoint;
  }

  /** The region of requests that carry no SigV4 credential scope, and of the helpers below by default. */
  public String region() {
    return region;
  }

  public String account() {
    return account;
  }

  public FaultInjector faults() {
    return faults;
  }

  public CallCounter calls() {
    return calls;
  }

  /** The requests received so far (at most the last 10,000), oldest first. */
  public List<Request> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  /** Forgets the request log and the call counts. */
  public void resetRequests() {
    synchronized (requests) {
      requests.clear();
    }
    calls.reset();
  }

  /**
   * Environment variables for an SDK client process: the service endpoints, dummy credentials
   * and the default region.
   */
  public Map<String, String> environment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("AWS_ENDPOINT_URL_KMS", endpoint.toString());
    env.put("AWS_ENDPOINT_URL_SECRETS_MANAGER", endpoint.toString());
    env.put("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID);
    env.put("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY);
    env.put("AWS_REGION", region);
    return env;
  }

  // ------------------------------------------------------------------ direct control, without HTTP

  /** Creates a symmetric key in {@code region}; returns its ARN. Not counted, never faulted. */
  public String createKey(String region) {
    return call(kms, "CreateKey", region, json()).get("KeyMetadata").get("Arn").asText();
  }

  /** Creates a multi-Region primary key ({@code mrk-…}); returns its ARN. */
  public String createMultiRegionKey(String region) {
    return call(kms, "CreateKey", region, json().put("MultiRegion", true)).get("KeyMetadata").get("Arn").asText();
  }

  /** Replicates a multi-Region primary key into {@code replicaRegion}; returns the replica's ARN. */
  public String replicateKey(String primaryKeyArn, String replicaRegion) {
    return call(kms, "ReplicateKey", regionOf(primaryKeyArn), json().put("KeyId", primaryKeyArn)
        .put("ReplicaRegion", replicaRegion)).get("ReplicaKeyMetadata").get("Arn").asText();
  }

  /** Points {@code aliasName} ({@code alias/…}) at a key; returns the alias ARN. */
  public String createAlias(String aliasName, String keyArn) {
    String r = regionOf(keyArn);
    call(kms, "CreateAlias", r, json().put("AliasName", aliasName).put("TargetKeyId", keyArn));
    return "arn:aws:kms:" + r + ":" + account + ":" + aliasName;
  }

  public void disableKey(String keyArn) {
    call(kms, "DisableKey", regionOf(keyArn), json().put("KeyId", keyArn));
  }

  public void enableKey(String keyArn) {
    call(kms, "EnableKey", regionOf(keyArn), json().put("KeyId", keyArn));
  }

  /** Rotates a key's material now (RotateKeyOnDemand); old ciphertexts keep decrypting. */
  public void rotateKey(String keyArn) {
    call(kms, "RotateKeyOnDemand", regionOf(keyArn), json().put("KeyId", keyArn));
  }

  /** Creates a secret whose first version is AWSCURRENT; returns the secret ARN. */
  public String createSecret(String region, String name, String value) {
    return call(secretsManager, "CreateSecret", region, json().put("Name", name).put("SecretString", value))
        .get("ARN").asText();
  }

  /**
   * Adds a version to a secret with the given staging labels (AWSCURRENT when none); returns the
   * version id.
   */
  public String putSecretValue(String region, String secretId, String value, String... stages) {
    ObjectNode req = json().put("SecretId", secretId).put("SecretString", value);
    if (stages.length > 0) {
      req.putArray("VersionStages").addAll(List.of(stages).stream().map(req::textNode).toList());
    }
    return call(secretsManager, "PutSecretValue", region, req).get("VersionId").asText();
  }

  /** Stops the server and releases calls held by a timeout fault. */
  @Override
  public void close() {
    faults.releaseAll();
    server.stop(0);
    executor.shutdownNow();
  }

  @Override
  public String toString() {
    return "AwsFake[" + endpoint + ", " + region + "]";
  }

  private void log(String service, String operation, String region, String resourceId) {
    synchronized (requests) {
      if (requests.size() == MAX_LOGGED_REQUESTS) {
        requests.removeFirst();
      }
      requests.addLast(new Request(service, operation, region, resourceId));
    }
  }

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private static ObjectNode json() {
    return MAPPER.createObjectNode();
  }

  private JsonNode call(Object service, String operation, String region, ObjectNode request) {
    try {
      return service instanceof KmsService k ? k.handle(operation, request, region)
          : ((SecretsManagerService) service).handle(operation, request, region);
    } catch (AwsError e) {
      throw new IllegalArgumentException(operation + " failed: " + e.type() + ": " + e.getMessage());
    }
  }

  private String regionOf(String arn) {
    if (arn.startsWith("arn:")) {
      String[] parts = arn.split(":", 6);
      if (parts.length == 6) {
        return parts[3];
      }
    }
    return region;
  }

  public static final class Builder {
    private static final Pattern REGION = Pattern.compile("[a-z]{2}(-[a-z]+)+-\\d+");
    private static final Pattern ACCOUNT = Pattern.compile("\\d{12}");
    private int port;
    private String region = DEFAULT_REGION;
    private String account = DEFAULT_ACCOUNT;
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    /** The port on 127.0.0.1; 0 (the default) picks a free one. */
    public Builder port(int port) {
      this.port = FakeSupport.checkPort(port);
      return this;
    }

    public Builder region(String region) {
      if (region == null || !REGION.matcher(region).matches()) {
        throw new IllegalArgumentException("not an AWS region name: " + region);
      }
      this.region = region;
      return this;
    }

    /** The 12-digit account id in every ARN. */
    public Builder account(String account) {
      if (account == null || !ACCOUNT.matcher(account).matches()) {
        throw new IllegalArgumentException("account id must be 12 digits");
      }
      this.account = account;
      return this;
    }

    /** The time source for creation dates, automatic rotation and deletion windows. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Starts the server. */
    public AwsFake start() {
      try {
        return new AwsFake(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the AWS fake on 127.0.0.1:" + port, e);
      }
    }
  }
}
