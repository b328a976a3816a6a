package dev.envelope.gcp;

import com.google.api.gax.rpc.ApiCallContext;
import com.google.api.gax.rpc.ApiException;
import com.google.api.gax.rpc.StatusCode;
import com.google.cloud.secretmanager.v1.AccessSecretVersionRequest;
import com.google.cloud.secretmanager.v1.AccessSecretVersionResponse;
import com.google.cloud.secretmanager.v1.GetSecretRequest;
import com.google.cloud.secretmanager.v1.ListSecretVersionsRequest;
import com.google.cloud.secretmanager.v1.ListSecretVersionsResponse;
import com.google.cloud.secretmanager.v1.SecretManagerServiceClient;
import com.google.cloud.secretmanager.v1.SecretManagerServiceSettings;
import com.google.cloud.secretmanager.v1.SecretVersion;
import com.google.protobuf.ByteString;
import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretNotFoundException;
import dev.envelope.gcp.internal.Endpoint;
import dev.envelope.gcp.internal.FrameLogging;
import dev.envelope.gcp.internal.GoogleClients;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretValue;
import dev.envelope.secrets.Version;
import dev.envelope.secrets.VersionInfo;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Google Secret Manager as a {@link SecretStore}.
 *
 * <pre>{@code
 * SecretStore gcp = GcpSecretStore.create(secretManagerServiceClient, "projects/p");
 * SecretValue v = gcp.get("orders-db");          // the secret projects/p/secrets/orders-db
 * }</pre>
 *
 * <p>Names are secret ids in the store's project, or full names {@code projects/P/secrets/ID} for
 * another project. Version ids are Secret Manager's version numbers.
 *
 * <h2>Versions</h2>
 *
 * Secret Manager has numbered versions, each {@code ENABLED}, {@code DISABLED} or
 * {@code DESTROYED}, and aliases naming versions; it has no stages. This store maps
 * {@link Version} as follows:
 *
 * <ul>
 *   <li>{@link Version#current()}: the newest <em>enabled</em> version. That is Secret Manager's
 *       {@code latest} whenever {@code latest} is enabled, and is read as {@code latest} in one
 *       call that needs only {@code secretmanager.versions.access}. Secret Manager's
 *       {@code latest} is the newest version in any state, and reading it fails while it is
 *       disabled; this store then lists the enabled versions and reads the newest, so disabling a
 *       bad new version rolls readers back to the one before (that fallback needs
 *       {@code secretmanager.versions.list}).
 *       <br>With a {@linkplain Builder#currentAlias current alias} configured and defined on the
 *       secret, current is the version that alias names, whatever newer versions exist.
 *   <li>{@link Version#pending()}: the newest enabled version <em>newer</em> than current. Only a
 *       secret whose current version is pinned by the current alias can have one: a rotation adds
 *       a version (pending), changes the database password, then moves the alias (the new version
 *       becomes current), as AWS's {@code AWSPENDING}/{@code AWSCURRENT} do. Without the alias,
 *       current already is the newest enabled version, so there is never a pending one and
 *       {@code pending()} throws {@link SecretNotFoundException} without calling the service.
 *   <li>{@link Version#previous()}: the newest enabled version older than current.
 *   <li>{@link Version#id(String)}: that version number, in whatever state; a disabled or
 *       destroyed version is {@link SecretNotFoundException}.
 *   <li>{@link Version#stage(String)}: the version the secret's alias of that name names, looked up
 *       with {@code GetSecret}; {@code stage("latest")} is Secret Manager's own {@code latest}
 *       (newest in any state, not readable while disabled).
 * </ul>
 *
 * {@link SecretValue#stages()} holds the aliases naming the version read when the read looked the
 * aliases up (stage reads, and every read with a current alias), otherwise it is empty.
 * {@link #versions(String)} lists every version, newest first, with its aliases as stages; it
 * needs {@code secretmanager.versions.list} and {@code secretmanager.secrets.get} (role
 * {@code roles/secretmanager.viewer}). Reading aliases needs {@code secretmanager.secrets.get}, which
 * the Secret Accessor role alone does not grant.
 *
 * <h2>Integrity and errors</h2>
 *
 * Every payload's {@code data_crc32c} is verified; a response without it or with a wrong one, or
 * naming a version of another secret, is discarded and the read repeated, up to
 * {@value #INTEGRITY_ATTEMPTS} attempts, then fails with a non-retryable {@link KmsException}.
 *
 * <p>{@code NOT_FOUND}, and {@code FAILED_PRECONDITION} for a disabled or destroyed version, become
 * {@link SecretNotFoundException}; {@code PERMISSION_DENIED} and {@code UNAUTHENTICATED}
 * {@link AccessDeniedException} (Secret Manager also answers {@code PERMISSION_DENIED} for a secret
 * that does not exist when the caller may not list secrets). {@code UNAVAILABLE},
 * {@code RESOURCE_EXHAUSTED} and {@code DEADLINE_EXCEEDED} are retried by the Google client with
 * exponential backoff and jitter until the {@linkplain Builder#deadline deadline}, which covers all
 * calls of one {@code get} or {@code versions}, then surface as a retryable {@link KmsException}, as
 * do {@code ABORTED}, {@code INTERNAL} and {@code UNKNOWN}; anything else is a non-retryable
 * {@link KmsException}. Messages name secrets and versions, never values.
 *
 * <p>Uncached (wrap it in {@code CachingSecrets}), immutable and thread-safe. {@link #close()}
 * releases the client if this store created it.
 */
public final class GcpSecretStore implements SecretStore, AutoCloseable {
  /** Time allowed for one {@code get} or {@code versions}, retries included, unless the builder sets another. */
  public static final Duration DEFAULT_DEADLINE = Duration.ofSeconds(10);
  /** Attempts made when responses fail their integrity checks. */
  public static final int INTEGRITY_ATTEMPTS = 3;

  /** 100 pages of 250: far beyond any real secret, small enough to bound a misbehaving server. */
  static final int LIST_PAGE_SIZE = 250;
  static final int MAX_LIST_PAGES = 100;

  private static final Pattern PROJECT = Pattern.compile("projects/[a-z0-9][a-z0-9.:-]{0,62}");
  private static final Pattern SECRET_ID = Pattern.compile("[A-Za-z0-9_-]{1,255}");
  private static final Pattern FULL_NAME = Pattern.compile("projects/[a-z0-9][a-z0-9.:-]{0,62}/secrets/[A-Za-z0-9_-]{1,255}");
  private static final Pattern VERSION_NUMBER = Pattern.compile("[1-9][0-9]{0,17}");
  private static final Pattern ALIAS = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,62}");

  private final String project;
  private final SecretManagerServiceClient client;
  private final boolean ownsClient;
  private final @Nullable String currentAlias;
  private final Duration deadline;

  private GcpSecretStore(String project, SecretManagerServiceClient client, boolean ownsClient,
      @Nullable String currentAlias, Duration deadline) {
    this.project = project;
    this.client = client;
    this.ownsClient = ownsClient;
    this.currentAlias = currentAlias;
    this.deadline = deadline;
  }

  /**
   * A store over secrets in {@code project} ({@code projects/P}) read with {@code client}, which
   * the store never closes. Current is the newest enabled version; see the class comment.
   */
  public static GcpSecretStore create(SecretManagerServiceClient client, String project) {
    return builder().client(client).project(project).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code projects/P}. */
  public String project() {
    return project;
  }

  @Override
  public SecretValue get(String name, Version version) {
    Objects.requireNonNull(version, "version");
    Call call = new Call(name, version);
    return switch (version.kind()) {
      case ID -> call.access(call.secret + "/versions/" + number(call, Objects.requireNonNull(version.value())), Map.of());
      case STAGE -> stage(call, Objects.requireNonNull(version.value()));
      case CURRENT -> current(call);
      case PENDING, PREVIOUS -> relative(call, version.kind() == Version.Kind.PENDING);
    };
  }

  private SecretValue stage(Call call, String alias) {
    if (alias.equals("latest")) {
      return call.access(call.secret + "/versions/latest", Map.of());
    }
    Map<String, Long> aliases = call.aliases();
    Long n = aliases.get(alias);
    if (n == null) {
      throw new SecretNotFoundException(call.describe + " not found: the secret has no alias '" + alias + "'");
    }
    return call.access(call.secret + "/versions/" + n, aliases);
  }

  private SecretValue current(Call call) {
    Map<String, Long> aliases = Map.of();
    if (currentAlias != null) {
      aliases = call.aliases();
      Long pinned = aliases.get(currentAlias);
      if (pinned != null) {
        return call.access(call.secret + "/versions/" + pinned, aliases);
      }
    }
    SecretValue latest = call.accessIfEnabled(call.secret + "/versions/latest", aliases);
    if (latest != null) {
      return latest;
    }
    // latest is disabled or destroyed: fall back to the newest enabled version. It may be disabled
    // between listing and reading, so look again once.
    for (int attempt = 0; attempt < 2; attempt++) {
      List<Long> enabled;
      try {
        enabled = call.enabledVersions();
      } catch (AccessDeniedException e) {
        throw new SecretNotFoundException(call.describe + " not readable: its latest version is disabled or "
            + "destroyed, and finding the newest enabled one needs secretmanager.versions.list", e);
      }
      if (enabled.isEmpty()) {
        throw new SecretNotFoundException(call.describe + " not found: the secret has no enabled version");
      }
      SecretValue v = call.accessIfEnabled(call.secret + "/versions/" + enabled.get(0), aliases);
      if (v != null) {
        return v;
      }
    }
    throw new SecretNotFoundException(call.describe + " not found: enabled versions kept being disabled while read");
  }

  /** Pending (newest enabled above current) or previous (newest enabled below current). */
  private SecretValue relative(Call call, boolean pending) {
    Map<String, Long> aliases = Map.of();
    Long pinned = null;
    if (currentAlias != null) {
      aliases = call.aliases();
      pinned = aliases.get(currentAlias);
    }
    if (pending && pinned == null) {
      throw new SecretNotFoundException(call.describe + " not found: no rotation under way ("
          + (currentAlias == null
              ? "without a current alias the newest enabled version is current, so none is pending)"
              : "the secret has no alias '" + currentAlias + "', so its newest enabled version is current)"));
    }
    for (int attempt = 0; attempt < 2; attempt++) {
      List<Long> enabled = call.enabledVersions(); // newest first
      Long target = null;
      if (pending) {
        for (Long n : enabled) {
          if (n > pinned) {
            target = n;
            break;
          }
        }
      } else {
        long current = pinned != null ? pinned : enabled.isEmpty() ? 0 : enabled.get(0);
        for (Long n : enabled) {
          if (n < current) {
            target = n;
            break;
          }
        }
      }
      if (target == null) {
        throw new SecretNotFoundException(call.describe + " not found: "
            + (pending ? "no enabled version newer than the current one (no rotation under way)"
                : "no enabled version older than the current one"));
      }
      SecretValue v = call.accessIfEnabled(call.secret + "/versions/" + target, aliases);
      if (v != null) {
        return v;
      }
    }
    throw new SecretNotFoundException(call.describe + " not found: versions kept being disabled while read");
  }

  private static long number(Call call, String id) {
    if (!VERSION_NUMBER.matcher(id).matches()) {
      throw new SecretNotFoundException(call.describe + " not found: Secret Manager version ids are positive "
          + "numbers (use Version.current() for the newest enabled version, Version.stage(alias) for an alias)");
    }
    return Long.parseLong(id);
  }

  @Override
  public List<VersionInfo> versions(String name) {
    Call call = new Call(name, null);
    Map<String, Long> aliases = call.aliases();
    List<VersionInfo> out = new ArrayList<>();
    for (SecretVersion v : call.list(false)) {
      long n = call.versionNumber(v.getName(), "ListSecretVersions");
      Instant created = v.hasCreateTime()
          ? Instant.ofEpochSecond(v.getCreateTime().getSeconds(), v.getCreateTime().getNanos()) : null;
      out.add(new VersionInfo(Long.toString(n), aliasesOf(aliases, n), state(v.getState()), created));
    }
    out.sort(Comparator.comparingLong((VersionInfo i) -> Long.parseLong(i.id())).reversed());
    return out;
  }

  private static VersionInfo.State state(SecretVersion.State s) {
    return switch (s) {
      case ENABLED -> VersionInfo.State.ENABLED;
      case DESTROYED -> VersionInfo.State.DESTROYED;
      // DISABLED, and states this client does not know: not readable.
      default -> VersionInfo.State.DISABLED;
    };
  }

  private static Set<String> aliasesOf(Map<String, Long> aliases, long n) {
    Set<String> out = new TreeSet<>();
    aliases.forEach((alias, v) -> {
      if (v == n) {
        out.add(alias);
      }
    });
    return out;
  }

  /** One {@code get} or {@code versions}: the secret, a description for messages, one deadline. */
  private final class Call {
    final String name;
    final String secret;
    final String describe;
    final long endNanos = System.nanoTime() + deadline.toNanos();

    Call(String name, @Nullable Version version) {
      this.name = Objects.requireNonNull(name, "name");
      this.secret = secretName(name);
      this.describe = "secret '" + name + "'" + (version == null ? "" : " (" + version + ")") + " in Secret Manager";
    }

    Map<String, Long> aliases() {
      GetSecretRequest request = GetSecretRequest.newBuilder().setName(secret).build();
      return call(ctx -> client.getSecretCallable().call(request, ctx), "GetSecret").getVersionAliasesMap();
    }

    /** Enabled version numbers, newest first. */
    List<Long> enabledVersions() {
      List<Long> out = new ArrayList<>();
      for (SecretVersion v : list(true)) {
        // The filter asked for enabled versions only; a server that ignored it must not make
        // a disabled version current.
        if (v.getState() == SecretVersion.State.ENABLED) {
          out.add(versionNumber(v.getName(), "ListSecretVersions"));
        }
      }
      out.sort(Comparator.reverseOrder());
      return out;
    }

    List<SecretVersion> list(boolean enabledOnly) {
      List<SecretVersion> out = new ArrayList<>();
      String token = "";
      for (int page = 0; ; page++) {
        if (page == MAX_LIST_PAGES) {
          throw new KmsException("Secret Manager listed more than " + MAX_LIST_PAGES + " pages of versions for "
              + describe, false);
        }
        ListSecretVersionsRequest.Builder b = ListSecretVersionsRequest.newBuilder()
            .setParent(secret).setPageSize(LIST_PAGE_SIZE).setPageToken(token);
        if (enabledOnly) {
          b.setFilter("state:ENABLED");
        }
        ListSecretVersionsRequest request = b.build();
        ListSecretVersionsResponse response =
            call(ctx -> client.listSecretVersionsCallable().call(request, ctx), "ListSecretVersions");
        out.addAll(response.getVersionsList());
        String next = response.getNextPageToken();
        if (next.isEmpty()) {
          return out;
        }
        if (next.equals(token)) {
          throw new KmsException("Secret Manager repeated a page token listing versions of " + describe, false);
        }
        token = next;
      }
    }

    SecretValue access(String versionName, Map<String, Long> aliases) {
      SecretValue v = accessIfEnabled(versionName, aliases);
      if (v == null) {
        throw new SecretNotFoundException(describe + " not readable: version "
            + versionName.substring(versionName.lastIndexOf('/') + 1) + " is disabled or destroyed");
      }
      return v;
    }

    /** The version's value; null when Secret Manager says it is disabled or destroyed. */
    @Nullable SecretValue accessIfEnabled(String versionName, Map<String, Long> aliases) {
      AccessSecretVersionRequest request = AccessSecretVersionRequest.newBuilder().setName(versionName).build();
      String problem = null;
      for (int attempt = 0; attempt < INTEGRITY_ATTEMPTS; attempt++) {
        AccessSecretVersionResponse response;
        try {
          response = call(ctx -> client.accessSecretVersionCallable().call(request, ctx), "AccessSecretVersion");
        } catch (FailedPrecondition e) {
          return null;
        }
        long n = versionNumber(response.getName(), "AccessSecretVersion");
        String requested = versionName.substring(versionName.lastIndexOf('/') + 1);
        if (VERSION_NUMBER.matcher(requested).matches() && Long.parseLong(requested) != n) {
          throw new KmsException("Secret Manager answered " + describe + " with version " + n + " instead of "
              + requested, false);
        }
        ByteString data = response.getPayload().getData();
        if (!response.getPayload().hasDataCrc32C()) {
          problem = "data_crc32c missing";
        } else if (response.getPayload().getDataCrc32C() != GoogleClients.crc32c(data)) {
          problem = "data_crc32c mismatch";
        } else {
          if (data.size() > SecretValue.MAX_BYTES) {
            throw new KmsException(describe + " is larger than " + SecretValue.MAX_BYTES + " bytes", false);
          }
          byte[] bytes = data.toByteArray();
          try {
            return SecretValue.of(name, Long.toString(n), aliasesOf(aliases, n), bytes);
          } finally {
            Arrays.fill(bytes, (byte) 0);
          }
        }
      }
      throw new KmsException("Secret Manager responses for " + describe + " failed their integrity check "
          + INTEGRITY_ATTEMPTS + " times (last: " + problem + ")", false);
    }

    /** The number at the end of {@code secret/versions/N}; anything else is a broken answer. */
    long versionNumber(String versionName, String method) {
      String prefix = secret + "/versions/";
      if (versionName.startsWith(prefix)) {
        String n = versionName.substring(prefix.length());
        if (VERSION_NUMBER.matcher(n).matches()) {
          return Long.parseLong(n);
        }
      }
      throw new KmsException("Secret Manager " + method + " for " + describe + " answered with a version of "
          + "another secret, or no version number: " + versionName, false);
    }

    private <R> R call(Function<ApiCallContext, R> rpc, String method) {
      long remaining = endNanos - System.nanoTime();
      if (remaining <= 0) {
        throw new KmsException("Secret Manager " + method + " for " + describe + " ran out of its " + deadline
            + " deadline", true);
      }
      try {
        return rpc.apply(GoogleClients.callContext(Duration.ofNanos(remaining), deadline));
      } catch (ApiException e) {
        throw translate(e, method);
      }
    }

    private RuntimeException translate(ApiException e, String method) {
      StatusCode.Code code = e.getStatusCode().getCode();
      // The server's message stays in the cause: it names resources, never values.
      String message = describe + ": " + method + " failed with " + code;
      switch (code) {
        case NOT_FOUND:
          return new SecretNotFoundException(describe + " not found (" + method + ": NOT_FOUND)", e);
        case FAILED_PRECONDITION:
          return method.equals("AccessSecretVersion") ? new FailedPrecondition(e)
              : new SecretNotFoundException(describe + " not readable (" + method + ": FAILED_PRECONDITION)", e);
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
  }

  /** AccessSecretVersion's answer for a disabled or destroyed version; turned into a result above. */
  private static final class FailedPrecondition extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FailedPrecondition(Throwable cause) {
      super(null, cause, false, false);
    }
  }

  private String secretName(String name) {
    if (SECRET_ID.matcher(name).matches()) {
      return project + "/secrets/" + name;
    }
    if (FULL_NAME.matcher(name).matches()) {
      return name;
    }
    throw new IllegalArgumentException("secret name must be a Secret Manager secret id (1 to 255 letters, digits, "
        + "'_' or '-') or projects/P/secrets/ID");
  }

  /** Closes the Google client if this store created it; a client passed in stays open. */
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
    return "GcpSecretStore[" + project + (currentAlias == null ? "" : ", currentAlias=" + currentAlias) + "]";
  }

  /** Builds a {@link GcpSecretStore}; not thread-safe. */
  public static final class Builder {
    private @Nullable String project;
    private @Nullable SecretManagerServiceClient client;
    private @Nullable Endpoint endpoint;
    private @Nullable String currentAlias;
    private Duration deadline = DEFAULT_DEADLINE;

    private Builder() {}

    /** Required: the project bare secret ids live in, {@code projects/P} (id or number). */
    public Builder project(String project) {
      Objects.requireNonNull(project, "project");
      if (!PROJECT.matcher(project).matches()) {
        throw new IllegalArgumentException("project must look like projects/P (a project id or number)");
      }
      this.project = project;
      return this;
    }

    /**
     * A client to use instead of one built from Application Default Credentials. The store's
     * {@link #deadline} and retry policy still apply per call; the store never closes this client.
     */
    public Builder client(SecretManagerServiceClient client) {
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

    /**
     * Pins {@link Version#current()} to the version this alias names on secrets that define it,
     * which gives rotations a pending version: add the new version, switch the consumers' backing
     * system to it, then move the alias. Secrets without the alias behave as without this setting.
     * Reads then also call {@code GetSecret} (permission {@code secretmanager.secrets.get}).
     */
    public Builder currentAlias(String alias) {
      Objects.requireNonNull(alias, "alias");
      if (!ALIAS.matcher(alias).matches() || alias.equals("latest")) {
        throw new IllegalArgumentException("alias must be 1 to 63 letters, digits, '_' or '-', start with a letter, "
            + "and not be 'latest'");
      }
      this.currentAlias = alias;
      return this;
    }

    /** Time allowed for one {@code get} or {@code versions}, retries included; default {@link #DEFAULT_DEADLINE}. */
    public Builder deadline(Duration deadline) {
      Objects.requireNonNull(deadline, "deadline");
      if (deadline.isNegative() || deadline.isZero() || deadline.compareTo(Duration.ofMinutes(10)) > 0) {
        throw new IllegalArgumentException("deadline must be > 0 and at most 10 minutes");
      }
      this.deadline = deadline;
      return this;
    }

    /**
     * @throws IllegalStateException if no project was set, if both a client and an endpoint were
     *     set, or if no client was given and Application Default Credentials are not available
     */
    public GcpSecretStore build() {
      FrameLogging.silence();
      if (project == null) {
        throw new IllegalStateException("project is required");
      }
      if (client != null && endpoint != null) {
        throw new IllegalStateException("set either client or endpoint, not both: configure the client's endpoint instead");
      }
      if (client != null) {
        return new GcpSecretStore(project, client, false, currentAlias, deadline);
      }
      return new GcpSecretStore(project, createClient(endpoint), true, currentAlias, deadline);
    }

    private static SecretManagerServiceClient createClient(@Nullable Endpoint endpoint) {
      SecretManagerServiceSettings.Builder settings = SecretManagerServiceSettings.newBuilder();
      if (endpoint != null) {
        GoogleClients.applyEndpoint(settings, endpoint);
      }
      try {
        return SecretManagerServiceClient.create(settings.build());
      } catch (IOException e) {
        throw new IllegalStateException("could not create the Secret Manager client: are Application Default "
            + "Credentials configured (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, "
            + "or a metadata server)?", e);
      }
    }
  }
}
