package dev.envelope.testkit.gcp;

import static dev.envelope.testkit.gcp.Rpc.aborted;
import static dev.envelope.testkit.gcp.Rpc.alreadyExists;
import static dev.envelope.testkit.gcp.Rpc.crc32c;
import static dev.envelope.testkit.gcp.Rpc.failedPrecondition;
import static dev.envelope.testkit.gcp.Rpc.invalidArgument;
import static dev.envelope.testkit.gcp.Rpc.notFound;
import static dev.envelope.testkit.gcp.Rpc.timestamp;
import static dev.envelope.testkit.gcp.Rpc.unimplemented;

import com.google.cloud.secretmanager.v1.AccessSecretVersionRequest;
import com.google.cloud.secretmanager.v1.AccessSecretVersionResponse;
import com.google.cloud.secretmanager.v1.AddSecretVersionRequest;
import com.google.cloud.secretmanager.v1.CreateSecretRequest;
import com.google.cloud.secretmanager.v1.DeleteSecretRequest;
import com.google.cloud.secretmanager.v1.DestroySecretVersionRequest;
import com.google.cloud.secretmanager.v1.DisableSecretVersionRequest;
import com.google.cloud.secretmanager.v1.EnableSecretVersionRequest;
import com.google.cloud.secretmanager.v1.GetSecretRequest;
import com.google.cloud.secretmanager.v1.GetSecretVersionRequest;
import com.google.cloud.secretmanager.v1.ListSecretVersionsRequest;
import com.google.cloud.secretmanager.v1.ListSecretVersionsResponse;
import com.google.cloud.secretmanager.v1.ListSecretsRequest;
import com.google.cloud.secretmanager.v1.ListSecretsResponse;
import com.google.cloud.secretmanager.v1.Replication;
import com.google.cloud.secretmanager.v1.Secret;
import com.google.cloud.secretmanager.v1.SecretPayload;
import com.google.cloud.secretmanager.v1.SecretVersion;
import com.google.cloud.secretmanager.v1.SecretVersion.State;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import io.grpc.ServerServiceDefinition;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Secret Manager fake speaking {@code google.cloud.secretmanager.v1.SecretManagerService} over
 * gRPC: secrets, numbered versions, the {@code latest} alias (the most recently created version,
 * whatever its state, as the real service defines it), enable/disable/destroy, etags, and
 * {@code data_crc32c} both ways. Global secrets ({@code projects/P/secrets/S}) only; regional
 * names answer UNIMPLEMENTED. Obtain one from {@link GcpFakes}.
 *
 * <p>The methods of this class administer the fake directly, for test setup. Thread-safe.
 */
public final class FakeSecretManager {
  static final String SERVICE = "google.cloud.secretmanager.v1.SecretManagerService";

  /** IAM permission checked by AccessSecretVersion. */
  public static final String ACCESS_PERMISSION = "secretmanager.versions.access";

  private static final int MAX_PAYLOAD = 64 * 1024;
  private static final int MAX_PAGE = 25_000;
  private static final String SECRET_ID = "[a-zA-Z0-9_-]{1,255}";
  private static final Pattern PROJECT = Pattern.compile("projects/([^/]+)");
  private static final Pattern SECRET = Pattern.compile(PROJECT.pattern() + "/secrets/([^/]+)");
  private static final Pattern VERSION = Pattern.compile(SECRET.pattern() + "/versions/([^/]+)");
  private static final Pattern REGIONAL = Pattern.compile("projects/[^/]+/locations/.*");

  private final Clock clock;
  private final GcpFaults faults;
  private final Resources names =
      new Resources((name, what) -> "Invalid resource name [" + name + "]: not a " + what + " name.");
  private final Map<String, SecretState> secrets = new TreeMap<>();
  private long etagCounter;

  FakeSecretManager(Clock clock, GcpFaults faults) {
    this.clock = clock;
    this.faults = faults;
  }

  private static final class SecretState {
    final Secret proto; // as created, with name and create_time set
    final List<VersionState> versions = new ArrayList<>();
    String etag;

    SecretState(Secret proto, String etag) {
      this.proto = proto;
      this.etag = etag;
    }
  }

  private static final class VersionState {
    final String name;
    final Instant created;
    final boolean clientChecksum;
    byte[] data;
    State state = State.ENABLED;
    Instant destroyed;
    String etag;

    VersionState(String name, Instant created, byte[] data, boolean clientChecksum, String etag) {
      this.name = name;
      this.created = created;
      this.data = data;
      this.clientChecksum = clientChecksum;
      this.etag = etag;
    }
  }

  // ------------------------------------------------------------------ direct administration

  /** Creates {@code projects/P/secrets/ID} with automatic replication if it does not exist. */
  public synchronized String createSecret(String secretName) {
    Matcher m = names.match(SECRET, secretName, "secret");
    if (!secrets.containsKey(secretName)) {
      create(m.group(1), m.group(2), Secret.newBuilder()
          .setReplication(Replication.newBuilder().setAutomatic(Replication.Automatic.getDefaultInstance())).build());
    }
    return secretName;
  }

  /** Adds a version holding {@code data}; returns its full name. */
  public synchronized String addVersion(String secretName, byte[] data) {
    return add(secret(secretName), data.clone(), false).name;
  }

  /** Sets a version's state to ENABLED or DISABLED, as Enable/DisableSecretVersion do. */
  public synchronized void setVersionEnabled(String versionName, boolean enabled) {
    VersionState v = resolve(versionName);
    transition(v, enabled ? State.ENABLED : State.DISABLED, "");
  }

  /** The version's state; {@code latest} is accepted. */
  public synchronized State versionState(String versionName) {
    return resolve(versionName).state;
  }

  /**
   * Denies {@code permission} (e.g. {@link #ACCESS_PERMISSION}, or {@code "*"}) on
   * {@code resource} and everything under it.
   */
  public void deny(String resource, String permission) {
    names.deny(resource, permission);
  }

  /** Lifts every {@link #deny}. */
  public void allowAll() {
    names.allowAll();
  }

  // ------------------------------------------------------------------ gRPC service

  ServerServiceDefinition service() {
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(SERVICE);
    Rpc.unary(b, SERVICE, "CreateSecret", CreateSecretRequest.getDefaultInstance(), Secret.getDefaultInstance(),
        this::createSecret);
    Rpc.unary(b, SERVICE, "GetSecret", GetSecretRequest.getDefaultInstance(), Secret.getDefaultInstance(),
        this::getSecret);
    Rpc.unary(b, SERVICE, "ListSecrets", ListSecretsRequest.getDefaultInstance(), ListSecretsResponse.getDefaultInstance(),
        this::listSecrets);
    Rpc.unary(b, SERVICE, "DeleteSecret", DeleteSecretRequest.getDefaultInstance(), Empty.getDefaultInstance(),
        this::deleteSecret);
    Rpc.unary(b, SERVICE, "AddSecretVersion", AddSecretVersionRequest.getDefaultInstance(),
        SecretVersion.getDefaultInstance(), this::addSecretVersion);
    Rpc.unary(b, SERVICE, "GetSecretVersion", GetSecretVersionRequest.getDefaultInstance(),
        SecretVersion.getDefaultInstance(), this::getSecretVersion);
    Rpc.unary(b, SERVICE, "ListSecretVersions", ListSecretVersionsRequest.getDefaultInstance(),
        ListSecretVersionsResponse.getDefaultInstance(), this::listSecretVersions);
    Rpc.unary(b, SERVICE, "AccessSecretVersion", AccessSecretVersionRequest.getDefaultInstance(),
        AccessSecretVersionResponse.getDefaultInstance(), this::accessSecretVersion);
    Rpc.unary(b, SERVICE, "DisableSecretVersion", DisableSecretVersionRequest.getDefaultInstance(),
        SecretVersion.getDefaultInstance(), r -> transition(r.getName(), State.DISABLED, r.getEtag(), "disable"));
    Rpc.unary(b, SERVICE, "EnableSecretVersion", EnableSecretVersionRequest.getDefaultInstance(),
        SecretVersion.getDefaultInstance(), r -> transition(r.getName(), State.ENABLED, r.getEtag(), "enable"));
    Rpc.unary(b, SERVICE, "DestroySecretVersion", DestroySecretVersionRequest.getDefaultInstance(),
        SecretVersion.getDefaultInstance(), r -> transition(r.getName(), State.DESTROYED, r.getEtag(), "destroy"));
    return b.build();
  }

  // ------------------------------------------------------------------ secrets

  private synchronized Secret createSecret(CreateSecretRequest r) {
    Matcher m = authorize(PROJECT, r.getParent(), "project", "secretmanager.secrets.create");
    return toProto(create(m.group(1), r.getSecretId(), r.getSecret()));
  }

  private SecretState create(String project, String id, Secret requested) {
    if (!id.matches(SECRET_ID)) {
      throw invalidArgument("secret_id must match " + SECRET_ID);
    }
    if (requested.getReplication().getReplicationCase() == Replication.ReplicationCase.REPLICATION_NOT_SET) {
      throw invalidArgument("Secret.replication is required.");
    }
    String name = "projects/" + project + "/secrets/" + id;
    if (secrets.containsKey(name)) {
      throw alreadyExists("Secret [" + name + "] already exists.");
    }
    Secret proto = requested.toBuilder().setName(name).setCreateTime(timestamp(clock.instant())).clearEtag().build();
    SecretState s = new SecretState(proto, nextEtag());
    secrets.put(name, s);
    return s;
  }

  private synchronized Secret getSecret(GetSecretRequest r) {
    authorize(SECRET, r.getName(), "secret", "secretmanager.secrets.get");
    return toProto(secret(r.getName()));
  }

  private synchronized ListSecretsResponse listSecrets(ListSecretsRequest r) {
    authorize(PROJECT, r.getParent(), "project", "secretmanager.secrets.list");
    if (!r.getFilter().isEmpty()) {
      throw unimplemented("the fake does not support filters on ListSecrets");
    }
    List<Secret> all = secrets.values().stream()
        .filter(s -> s.proto.getName().startsWith(r.getParent() + "/secrets/")).map(this::toProto).toList();
    Rpc.Page<Secret> page = Rpc.page(all, r.getPageToken(), r.getPageSize(), MAX_PAGE);
    return ListSecretsResponse.newBuilder().addAllSecrets(page.items())
        .setNextPageToken(page.nextPageToken()).setTotalSize(page.totalSize()).build();
  }

  private synchronized Empty deleteSecret(DeleteSecretRequest r) {
    authorize(SECRET, r.getName(), "secret", "secretmanager.secrets.delete");
    SecretState s = secret(r.getName());
    if (!r.getEtag().isEmpty() && !r.getEtag().equals(s.etag)) {
      throw aborted("The etag provided in the request does not match the current etag of the secret.");
    }
    secrets.remove(r.getName());
    return Empty.getDefaultInstance();
  }

  // ------------------------------------------------------------------ versions

  private synchronized SecretVersion addSecretVersion(AddSecretVersionRequest r) {
    authorize(SECRET, r.getParent(), "secret", "secretmanager.versions.add");
    SecretPayload p = r.getPayload();
    if (p.getData().size() > MAX_PAYLOAD) {
      throw invalidArgument("Secret payload data must be no larger than 65536 bytes.");
    }
    boolean checked = p.hasDataCrc32C() && !faults.takeDroppedChecksums("AddSecretVersion");
    if (checked && p.getDataCrc32C() != crc32c(p.getData())) {
      throw invalidArgument("Checksum of the payload data does not match data_crc32c.");
    }
    SecretState s = secret(r.getParent());
    return toProto(add(s, p.getData().toByteArray(), checked));
  }

  private VersionState add(SecretState s, byte[] data, boolean clientChecksum) {
    String name = s.proto.getName() + "/versions/" + (s.versions.size() + 1);
    VersionState v = new VersionState(name, clock.instant(), data, clientChecksum, nextEtag());
    s.versions.add(v);
    return v;
  }

  private synchronized SecretVersion getSecretVersion(GetSecretVersionRequest r) {
    authorize(VERSION, r.getName(), "secret version", "secretmanager.versions.get");
    return toProto(resolve(r.getName()));
  }

  private synchronized AccessSecretVersionResponse accessSecretVersion(AccessSecretVersionRequest r) {
    authorize(VERSION, r.getName(), "secret version", ACCESS_PERMISSION);
    VersionState v = resolve(r.getName());
    if (v.state != State.ENABLED) {
      throw failedPrecondition("Secret Version [" + v.name + "] is in " + v.state + " state.");
    }
    long crc = crc32c(v.data);
    if (faults.takeCorruption("AccessSecretVersion")) {
      crc = Rpc.corrupt(crc);
    }
    return AccessSecretVersionResponse.newBuilder()
        .setName(v.name)
        .setPayload(SecretPayload.newBuilder().setData(ByteString.copyFrom(v.data)).setDataCrc32C(crc))
        .build();
  }

  private synchronized ListSecretVersionsResponse listSecretVersions(ListSecretVersionsRequest r) {
    authorize(SECRET, r.getParent(), "secret", "secretmanager.versions.list");
    State wanted = Rpc.stateFilter(r.getFilter(), State.class, "state:ENABLED");
    SecretState s = secret(r.getParent());
    List<SecretVersion> all = new ArrayList<>();
    // Newest first, as the real service lists them.
    for (int i = s.versions.size() - 1; i >= 0; i--) {
      VersionState v = s.versions.get(i);
      if (wanted == null || v.state == wanted) {
        all.add(toProto(v));
      }
    }
    Rpc.Page<SecretVersion> page = Rpc.page(all, r.getPageToken(), r.getPageSize(), MAX_PAGE);
    return ListSecretVersionsResponse.newBuilder().addAllVersions(page.items())
        .setNextPageToken(page.nextPageToken()).setTotalSize(page.totalSize()).build();
  }

  private synchronized SecretVersion transition(String name, State target, String etag, String verb) {
    authorize(VERSION, name, "secret version", "secretmanager.versions." + verb);
    VersionState v = resolve(name);
    transition(v, target, etag);
    return toProto(v);
  }

  private void transition(VersionState v, State target, String etag) {
    if (!etag.isEmpty() && !etag.equals(v.etag)) {
      throw aborted("The etag provided in the request does not match the current etag of the secret version.");
    }
    if (v.state == State.DESTROYED) {
      throw failedPrecondition("Secret Version [" + v.name + "] is in DESTROYED state.");
    }
    if (v.state == target) {
      return;
    }
    v.state = target;
    if (target == State.DESTROYED) {
      java.util.Arrays.fill(v.data, (byte) 0);
      v.data = new byte[0];
      v.destroyed = clock.instant();
    }
    v.etag = nextEtag();
  }

  // ------------------------------------------------------------------ helpers

  private SecretState secret(String name) {
    names.match(SECRET, name, "secret");
    SecretState s = secrets.get(name);
    if (s == null) {
      throw notFound("Secret [" + name + "] not found or has no versions.");
    }
    return s;
  }

  /** A version by number or {@code latest}: the most recently created version, in any state. */
  private VersionState resolve(String name) {
    Matcher m = names.match(VERSION, name, "secret version");
    SecretState s = secret(name.substring(0, name.indexOf("/versions/")));
    String id = m.group(3);
    if (id.equals("latest")) {
      if (s.versions.isEmpty()) {
        throw notFound("Secret [" + s.proto.getName() + "] not found or has no versions.");
      }
      return s.versions.get(s.versions.size() - 1);
    }
    int n;
    try {
      n = Integer.parseInt(id);
    } catch (NumberFormatException e) {
      throw invalidArgument("Invalid secret version [" + id + "]: a version is a positive number or 'latest'.");
    }
    if (n < 1) {
      throw invalidArgument("Invalid secret version [" + id + "]: a version is a positive number or 'latest'.");
    }
    if (n > s.versions.size()) {
      throw notFound("Secret Version [" + name + "] not found.");
    }
    return s.versions.get(n - 1);
  }

  /** The regional check, then {@link Resources#authorize}. */
  private Matcher authorize(Pattern p, String name, String what, String permission) {
    regional(name);
    return names.authorize(p, name, what, permission);
  }

  private static void regional(String name) {
    if (REGIONAL.matcher(name).matches()) {
      throw unimplemented("the fake serves global secrets only (projects/P/secrets/S)");
    }
  }

  private String nextEtag() {
    return "\"" + Long.toHexString(0x5e0000L + ++etagCounter) + "\"";
  }

  private Secret toProto(SecretState s) {
    return s.proto.toBuilder().setEtag(s.etag).build();
  }

  private static SecretVersion toProto(VersionState v) {
    SecretVersion.Builder b = SecretVersion.newBuilder()
        .setName(v.name)
        .setCreateTime(timestamp(v.created))
        .setState(v.state)
        .setEtag(v.etag)
        .setClientSpecifiedPayloadChecksum(v.clientChecksum);
    if (v.destroyed != null) {
      b.setDestroyTime(timestamp(v.destroyed));
    }
    return b.build();
  }

  @Override
  public synchronized String toString() {
    return "FakeSecretManager[" + secrets.size() + " secrets]";
  }
}
