package dev.envelope.testkit.gcp;

import static dev.envelope.testkit.gcp.Rpc.alreadyExists;
import static dev.envelope.testkit.gcp.Rpc.crc32c;
import static dev.envelope.testkit.gcp.Rpc.failedPrecondition;
import static dev.envelope.testkit.gcp.Rpc.invalidArgument;
import static dev.envelope.testkit.gcp.Rpc.notFound;
import static dev.envelope.testkit.gcp.Rpc.timestamp;
import static dev.envelope.testkit.gcp.Rpc.unimplemented;

import com.google.cloud.kms.v1.CreateCryptoKeyRequest;
import com.google.cloud.kms.v1.CreateCryptoKeyVersionRequest;
import com.google.cloud.kms.v1.CreateKeyRingRequest;
import com.google.cloud.kms.v1.CryptoKey;
import com.google.cloud.kms.v1.CryptoKey.CryptoKeyPurpose;
import com.google.cloud.kms.v1.CryptoKeyVersion;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionAlgorithm;
import com.google.cloud.kms.v1.CryptoKeyVersion.CryptoKeyVersionState;
import com.google.cloud.kms.v1.CryptoKeyVersionTemplate;
import com.google.cloud.kms.v1.DecryptRequest;
import com.google.cloud.kms.v1.DecryptResponse;
import com.google.cloud.kms.v1.DestroyCryptoKeyVersionRequest;
import com.google.cloud.kms.v1.EncryptRequest;
import com.google.cloud.kms.v1.EncryptResponse;
import com.google.cloud.kms.v1.GetCryptoKeyRequest;
import com.google.cloud.kms.v1.GetCryptoKeyVersionRequest;
import com.google.cloud.kms.v1.GetKeyRingRequest;
import com.google.cloud.kms.v1.KeyRing;
import com.google.cloud.kms.v1.ListCryptoKeyVersionsRequest;
import com.google.cloud.kms.v1.ListCryptoKeyVersionsResponse;
import com.google.cloud.kms.v1.ListCryptoKeysRequest;
import com.google.cloud.kms.v1.ListCryptoKeysResponse;
import com.google.cloud.kms.v1.ListKeyRingsRequest;
import com.google.cloud.kms.v1.ListKeyRingsResponse;
import com.google.cloud.kms.v1.ProtectionLevel;
import com.google.cloud.kms.v1.RestoreCryptoKeyVersionRequest;
import com.google.cloud.kms.v1.UpdateCryptoKeyPrimaryVersionRequest;
import com.google.cloud.kms.v1.UpdateCryptoKeyVersionRequest;
import com.google.protobuf.ByteString;
import com.google.protobuf.Int64Value;
import io.grpc.ServerServiceDefinition;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Cloud KMS fake speaking {@code google.cloud.kms.v1.KeyManagementService} over gRPC: key rings,
 * symmetric ({@code ENCRYPT_DECRYPT}) crypto keys, their versions and primary version, and
 * Encrypt/Decrypt with additional authenticated data and the CRC32C integrity fields, answering
 * with the status codes the real service uses. Obtain one from {@link GcpFakes}.
 *
 * <p>Ciphertexts are the fake's own (docs: {@link #CIPHERTEXT_OVERHEAD}): a format byte, the
 * version id, a nonce and AES-256-GCM under that version's random key, with the crypto key name
 * and the caller's AAD bound. Real ciphertexts differ; clients must treat both as opaque.
 *
 * <p>The methods of this class administer the fake directly (no gRPC), for test setup.
 * Thread-safe.
 */
public final class FakeKms {
  static final String SERVICE = "google.cloud.kms.v1.KeyManagementService";

  /** IAM permission checked by Encrypt on the crypto key. */
  public static final String ENCRYPT_PERMISSION = "cloudkms.cryptoKeyVersions.useToEncrypt";
  /** IAM permission checked by Decrypt on the crypto key. */
  public static final String DECRYPT_PERMISSION = "cloudkms.cryptoKeyVersions.useToDecrypt";
  /** Bytes a ciphertext adds to its plaintext: format, version id, nonce, tag. */
  public static final int CIPHERTEXT_OVERHEAD = 1 + 4 + 12 + 16;

  /** Plaintext and AAD limit of SOFTWARE keys. */
  static final int MAX_DATA = 64 * 1024;
  private static final int MAX_PAGE = 1000;
  private static final byte FORMAT = 0x01;
  private static final Duration DEFAULT_DESTROY_DELAY = Duration.ofDays(30);

  private static final String ID = "[a-zA-Z0-9_-]{1,63}";
  private static final Pattern LOCATION = Pattern.compile("projects/([^/]+)/locations/([^/]+)");
  private static final Pattern KEY_RING = Pattern.compile(LOCATION.pattern() + "/keyRings/([^/]+)");
  private static final Pattern CRYPTO_KEY = Pattern.compile(KEY_RING.pattern() + "/cryptoKeys/([^/]+)");
  private static final Pattern VERSION = Pattern.compile(CRYPTO_KEY.pattern() + "/cryptoKeyVersions/([^/]+)");

  private final Clock clock;
  private final GcpFaults faults;
  private final Resources names =
      new Resources((name, what) -> "Resource name [" + name + "] does not represent a valid " + what + ".");
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Instant> keyRings = new TreeMap<>();
  private final Map<String, Key> keys = new TreeMap<>();

  FakeKms(Clock clock, GcpFaults faults) {
    this.clock = clock;
    this.faults = faults;
  }

  private static final class Key {
    final String name;
    final Instant created;
    final ProtectionLevel protectionLevel;
    final Duration destroyDelay;
    final Map<String, String> labels;
    final CryptoKey requested;
    final List<Version> versions = new ArrayList<>();
    Version primary;

    Key(String name, Instant created, ProtectionLevel protectionLevel, Duration destroyDelay,
        Map<String, String> labels, CryptoKey requested) {
      this.name = name;
      this.created = created;
      this.protectionLevel = protectionLevel;
      this.destroyDelay = destroyDelay;
      this.labels = labels;
      this.requested = requested;
    }
  }

  private static final class Version {
    final Key key;
    final int id;
    final String name;
    final Instant created;
    final byte[] material;
    CryptoKeyVersionState state = CryptoKeyVersionState.ENABLED;
    Instant destroyTime;

    Version(Key key, int id, Instant created, byte[] material) {
      this.key = key;
      this.id = id;
      this.name = key.name + "/cryptoKeyVersions/" + id;
      this.created = created;
      this.material = material;
    }
  }

  // ------------------------------------------------------------------ direct administration

  /**
   * Creates the key ring if needed and an ENCRYPT_DECRYPT key with version 1 as primary.
   *
   * @param keyName {@code projects/P/locations/L/keyRings/R/cryptoKeys/K}
   * @return {@code keyName}
   */
  public synchronized String createKey(String keyName) {
    Matcher m = names.match(CRYPTO_KEY, keyName, "CryptoKey");
    String ring = keyName.substring(0, keyName.indexOf("/cryptoKeys/"));
    if (!keyRings.containsKey(ring)) {
      createKeyRing(ring.substring(0, ring.indexOf("/keyRings/")), m.group(3));
    }
    return toProto(createCryptoKey(ring, m.group(4), CryptoKey.newBuilder()
        .setPurpose(CryptoKeyPurpose.ENCRYPT_DECRYPT).build(), false)).getName();
  }

  /** Adds a version to {@code keyName} and makes it primary, like a scheduled rotation. */
  public synchronized String rotate(String keyName) {
    Key key = key(keyName);
    Version v = newVersion(key);
    key.primary = v;
    return v.name;
  }

  /** The primary version's full name, or null when the key has none. */
  public synchronized String primaryVersion(String keyName) {
    Key key = key(keyName);
    return key.primary == null ? null : key.primary.name;
  }

  /** Sets a version's state to ENABLED or DISABLED, as UpdateCryptoKeyVersion does. */
  public synchronized void setVersionEnabled(String versionName, boolean enabled) {
    Version v = version(versionName);
    changeState(v, enabled ? CryptoKeyVersionState.ENABLED : CryptoKeyVersionState.DISABLED);
  }

  /** The version's state, with scheduled destruction applied at the fake's clock. */
  public synchronized CryptoKeyVersionState versionState(String versionName) {
    return state(version(versionName));
  }

  /**
   * Denies {@code permission} (e.g. {@link #ENCRYPT_PERMISSION}, or {@code "*"} for all) on
   * {@code resource} and everything under it: calls needing it fail with PERMISSION_DENIED.
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
    Rpc.unary(b, SERVICE, "CreateKeyRing", CreateKeyRingRequest.getDefaultInstance(), KeyRing.getDefaultInstance(),
        this::createKeyRing);
    Rpc.unary(b, SERVICE, "GetKeyRing", GetKeyRingRequest.getDefaultInstance(), KeyRing.getDefaultInstance(),
        this::getKeyRing);
    Rpc.unary(b, SERVICE, "ListKeyRings", ListKeyRingsRequest.getDefaultInstance(),
        ListKeyRingsResponse.getDefaultInstance(), this::listKeyRings);
    Rpc.unary(b, SERVICE, "CreateCryptoKey", CreateCryptoKeyRequest.getDefaultInstance(), CryptoKey.getDefaultInstance(),
        this::createCryptoKey);
    Rpc.unary(b, SERVICE, "GetCryptoKey", GetCryptoKeyRequest.getDefaultInstance(), CryptoKey.getDefaultInstance(),
        this::getCryptoKey);
    Rpc.unary(b, SERVICE, "ListCryptoKeys", ListCryptoKeysRequest.getDefaultInstance(),
        ListCryptoKeysResponse.getDefaultInstance(), this::listCryptoKeys);
    Rpc.unary(b, SERVICE, "CreateCryptoKeyVersion", CreateCryptoKeyVersionRequest.getDefaultInstance(),
        CryptoKeyVersion.getDefaultInstance(), this::createCryptoKeyVersion);
    Rpc.unary(b, SERVICE, "GetCryptoKeyVersion", GetCryptoKeyVersionRequest.getDefaultInstance(),
        CryptoKeyVersion.getDefaultInstance(), this::getCryptoKeyVersion);
    Rpc.unary(b, SERVICE, "ListCryptoKeyVersions", ListCryptoKeyVersionsRequest.getDefaultInstance(),
        ListCryptoKeyVersionsResponse.getDefaultInstance(), this::listCryptoKeyVersions);
    Rpc.unary(b, SERVICE, "UpdateCryptoKeyPrimaryVersion", UpdateCryptoKeyPrimaryVersionRequest.getDefaultInstance(),
        CryptoKey.getDefaultInstance(), this::updateCryptoKeyPrimaryVersion);
    Rpc.unary(b, SERVICE, "UpdateCryptoKeyVersion", UpdateCryptoKeyVersionRequest.getDefaultInstance(),
        CryptoKeyVersion.getDefaultInstance(), this::updateCryptoKeyVersion);
    Rpc.unary(b, SERVICE, "DestroyCryptoKeyVersion", DestroyCryptoKeyVersionRequest.getDefaultInstance(),
        CryptoKeyVersion.getDefaultInstance(), this::destroyCryptoKeyVersion);
    Rpc.unary(b, SERVICE, "RestoreCryptoKeyVersion", RestoreCryptoKeyVersionRequest.getDefaultInstance(),
        CryptoKeyVersion.getDefaultInstance(), this::restoreCryptoKeyVersion);
    Rpc.unary(b, SERVICE, "Encrypt", EncryptRequest.getDefaultInstance(), EncryptResponse.getDefaultInstance(),
        this::encrypt);
    Rpc.unary(b, SERVICE, "Decrypt", DecryptRequest.getDefaultInstance(), DecryptResponse.getDefaultInstance(),
        this::decrypt);
    return b.build();
  }

  // ------------------------------------------------------------------ key rings

  private KeyRing createKeyRing(CreateKeyRingRequest r) {
    names.authorize(LOCATION, r.getParent(), "Location", "cloudkms.keyRings.create");
    return createKeyRing(r.getParent(), r.getKeyRingId());
  }

  private synchronized KeyRing createKeyRing(String parent, String id) {
    if (!id.matches(ID)) {
      throw invalidArgument("key_ring_id must match " + ID);
    }
    String name = parent + "/keyRings/" + id;
    if (keyRings.containsKey(name)) {
      throw alreadyExists("KeyRing " + name + " already exists.");
    }
    Instant now = clock.instant();
    keyRings.put(name, now);
    return KeyRing.newBuilder().setName(name).setCreateTime(timestamp(now)).build();
  }

  private synchronized KeyRing getKeyRing(GetKeyRingRequest r) {
    names.authorize(KEY_RING, r.getName(), "KeyRing", "cloudkms.keyRings.get");
    Instant created = keyRings.get(r.getName());
    if (created == null) {
      throw notFound("KeyRing " + r.getName() + " not found.");
    }
    return KeyRing.newBuilder().setName(r.getName()).setCreateTime(timestamp(created)).build();
  }

  private synchronized ListKeyRingsResponse listKeyRings(ListKeyRingsRequest r) {
    names.authorize(LOCATION, r.getParent(), "Location", "cloudkms.keyRings.list");
    noFilter(r.getFilter(), r.getOrderBy());
    List<KeyRing> all = new ArrayList<>();
    keyRings.forEach((name, created) -> {
      if (name.startsWith(r.getParent() + "/keyRings/")) {
        all.add(KeyRing.newBuilder().setName(name).setCreateTime(timestamp(created)).build());
      }
    });
    Rpc.Page<KeyRing> page = Rpc.page(all, r.getPageToken(), r.getPageSize(), MAX_PAGE);
    return ListKeyRingsResponse.newBuilder().addAllKeyRings(page.items())
        .setNextPageToken(page.nextPageToken()).setTotalSize(page.totalSize()).build();
  }

  // ------------------------------------------------------------------ crypto keys

  private CryptoKey createCryptoKey(CreateCryptoKeyRequest r) {
    names.authorize(KEY_RING, r.getParent(), "KeyRing", "cloudkms.cryptoKeys.create");
    synchronized (this) {
      return toProto(createCryptoKey(r.getParent(), r.getCryptoKeyId(), r.getCryptoKey(),
          r.getSkipInitialVersionCreation()));
    }
  }

  private Key createCryptoKey(String ring, String id, CryptoKey requested, boolean skipInitialVersion) {
    if (!keyRings.containsKey(ring)) {
      throw notFound("KeyRing " + ring + " not found.");
    }
    if (!id.matches(ID)) {
      throw invalidArgument("crypto_key_id must match " + ID);
    }
    if (requested.getPurpose() == CryptoKeyPurpose.CRYPTO_KEY_PURPOSE_UNSPECIFIED) {
      throw invalidArgument("crypto_key.purpose must be specified");
    }
    if (requested.getPurpose() != CryptoKeyPurpose.ENCRYPT_DECRYPT) {
      throw unimplemented("the fake supports only ENCRYPT_DECRYPT keys");
    }
    CryptoKeyVersionTemplate t = requested.getVersionTemplate();
    if (t.getAlgorithm() != CryptoKeyVersionAlgorithm.CRYPTO_KEY_VERSION_ALGORITHM_UNSPECIFIED
        && t.getAlgorithm() != CryptoKeyVersionAlgorithm.GOOGLE_SYMMETRIC_ENCRYPTION) {
      throw invalidArgument("algorithm " + t.getAlgorithm() + " is not valid for purpose ENCRYPT_DECRYPT");
    }
    String name = ring + "/cryptoKeys/" + id;
    if (keys.containsKey(name)) {
      throw alreadyExists("CryptoKey " + name + " already exists.");
    }
    ProtectionLevel level = t.getProtectionLevel() == ProtectionLevel.PROTECTION_LEVEL_UNSPECIFIED
        ? ProtectionLevel.SOFTWARE : t.getProtectionLevel();
    Duration destroyDelay = requested.hasDestroyScheduledDuration()
        ? Duration.ofSeconds(requested.getDestroyScheduledDuration().getSeconds()) : DEFAULT_DESTROY_DELAY;
    Key key = new Key(name, clock.instant(), level, destroyDelay, new LinkedHashMap<>(requested.getLabelsMap()), requested);
    keys.put(name, key);
    if (!skipInitialVersion) {
      key.primary = newVersion(key);
    }
    return key;
  }

  private synchronized CryptoKey getCryptoKey(GetCryptoKeyRequest r) {
    names.authorize(CRYPTO_KEY, r.getName(), "CryptoKey", "cloudkms.cryptoKeys.get");
    return toProto(key(r.getName()));
  }

  private synchronized ListCryptoKeysResponse listCryptoKeys(ListCryptoKeysRequest r) {
    names.authorize(KEY_RING, r.getParent(), "KeyRing", "cloudkms.cryptoKeys.list");
    noFilter(r.getFilter(), r.getOrderBy());
    if (!keyRings.containsKey(r.getParent())) {
      throw notFound("KeyRing " + r.getParent() + " not found.");
    }
    List<CryptoKey> all = keys.values().stream()
        .filter(k -> k.name.startsWith(r.getParent() + "/cryptoKeys/")).map(this::toProto).toList();
    Rpc.Page<CryptoKey> page = Rpc.page(all, r.getPageToken(), r.getPageSize(), MAX_PAGE);
    return ListCryptoKeysResponse.newBuilder().addAllCryptoKeys(page.items())
        .setNextPageToken(page.nextPageToken()).setTotalSize(page.totalSize()).build();
  }

  private synchronized CryptoKey updateCryptoKeyPrimaryVersion(UpdateCryptoKeyPrimaryVersionRequest r) {
    names.authorize(CRYPTO_KEY, r.getName(), "CryptoKey", "cloudkms.cryptoKeys.update");
    Key key = key(r.getName());
    if (r.getCryptoKeyVersionId().isEmpty()) {
      throw invalidArgument("crypto_key_version_id must be specified");
    }
    Version v = version(r.getName() + "/cryptoKeyVersions/" + r.getCryptoKeyVersionId());
    CryptoKeyVersionState state = state(v);
    if (state != CryptoKeyVersionState.ENABLED) {
      throw failedPrecondition(v.name + " is not enabled, current state is: " + state + ".");
    }
    key.primary = v;
    return toProto(key);
  }

  // ------------------------------------------------------------------ versions

  private synchronized CryptoKeyVersion createCryptoKeyVersion(CreateCryptoKeyVersionRequest r) {
    names.authorize(CRYPTO_KEY, r.getParent(), "CryptoKey", "cloudkms.cryptoKeyVersions.create");
    Key key = key(r.getParent());
    return toProto(newVersion(key));
  }

  private synchronized CryptoKeyVersion getCryptoKeyVersion(GetCryptoKeyVersionRequest r) {
    names.authorize(VERSION, r.getName(), "CryptoKeyVersion", "cloudkms.cryptoKeyVersions.get");
    return toProto(version(r.getName()));
  }

  private synchronized ListCryptoKeyVersionsResponse listCryptoKeyVersions(ListCryptoKeyVersionsRequest r) {
    names.authorize(CRYPTO_KEY, r.getParent(), "CryptoKey", "cloudkms.cryptoKeyVersions.list");
    if (!r.getOrderBy().isEmpty()) {
      throw unimplemented("the fake does not support order_by");
    }
    CryptoKeyVersionState wanted = Rpc.stateFilter(r.getFilter(), CryptoKeyVersionState.class, "state=ENABLED");
    Key key = key(r.getParent());
    List<CryptoKeyVersion> all = key.versions.stream()
        .filter(v -> wanted == null || state(v) == wanted).map(this::toProto).toList();
    Rpc.Page<CryptoKeyVersion> page = Rpc.page(all, r.getPageToken(), r.getPageSize(), MAX_PAGE);
    return ListCryptoKeyVersionsResponse.newBuilder().addAllCryptoKeyVersions(page.items())
        .setNextPageToken(page.nextPageToken()).setTotalSize(page.totalSize()).build();
  }

  private synchronized CryptoKeyVersion updateCryptoKeyVersion(UpdateCryptoKeyVersionRequest r) {
    String name = r.getCryptoKeyVersion().getName();
    names.authorize(VERSION, name, "CryptoKeyVersion", "cloudkms.cryptoKeyVersions.update");
    if (!r.getUpdateMask().getPathsList().equals(List.of("state"))) {
      throw invalidArgument("update_mask must be exactly [\"state\"]: only a version's state can be updated");
    }
    CryptoKeyVersionState target = r.getCryptoKeyVersion().getState();
    if (target != CryptoKeyVersionState.ENABLED && target != CryptoKeyVersionState.DISABLED) {
      throw invalidArgument("state can only be updated to ENABLED or DISABLED");
    }
    Version v = version(name);
    changeState(v, target);
    return toProto(v);
  }

  private synchronized CryptoKeyVersion destroyCryptoKeyVersion(DestroyCryptoKeyVersionRequest r) {
    names.authorize(VERSION, r.getName(), "CryptoKeyVersion", "cloudkms.cryptoKeyVersions.destroy");
    Version v = version(r.getName());
    CryptoKeyVersionState state = state(v);
    if (state != CryptoKeyVersionState.ENABLED && state != CryptoKeyVersionState.DISABLED) {
      throw failedPrecondition(v.name + " is not enabled or disabled, current state is: " + state + ".");
    }
    v.state = CryptoKeyVersionState.DESTROY_SCHEDULED;
    v.destroyTime = clock.instant().plus(v.key.destroyDelay);
    return toProto(v);
  }

  private synchronized CryptoKeyVersion restoreCryptoKeyVersion(RestoreCryptoKeyVersionRequest r) {
    names.authorize(VERSION, r.getName(), "CryptoKeyVersion", "cloudkms.cryptoKeyVersions.restore");
    Version v = version(r.getName());
    CryptoKeyVersionState state = state(v);
    if (state != CryptoKeyVersionState.DESTROY_SCHEDULED) {
      throw failedPrecondition(v.name + " is not scheduled for destruction, current state is: " + state + ".");
    }
    v.state = CryptoKeyVersionState.DISABLED;
    v.destroyTime = null;
    return toProto(v);
  }

  // ------------------------------------------------------------------ Encrypt / Decrypt

  private synchronized EncryptResponse encrypt(EncryptRequest r) {
    String name = r.getName();
    boolean versionNamed = VERSION.matcher(name).matches();
    if (!versionNamed) {
      names.match(CRYPTO_KEY, name, "CryptoKey or CryptoKeyVersion");
    }
    String keyName = versionNamed ? name.substring(0, name.indexOf("/cryptoKeyVersions/")) : name;
    names.check(keyName, ENCRYPT_PERMISSION);
    boolean checksums = !faults.takeDroppedChecksums("Encrypt");
    if (checksums) {
      verify(r.hasPlaintextCrc32C(), r.getPlaintextCrc32C(), r.getPlaintext(), "plaintext");
      verify(r.hasAdditionalAuthenticatedDataCrc32C(), r.getAdditionalAuthenticatedDataCrc32C(),
          r.getAdditionalAuthenticatedData(), "additional_authenticated_data");
    }
    if (r.getPlaintext().isEmpty()) {
      throw invalidArgument("plaintext must be specified");
    }
    if (r.getPlaintext().size() > MAX_DATA || r.getAdditionalAuthenticatedData().size() > MAX_DATA) {
      throw invalidArgument("plaintext and additional_authenticated_data must each be at most 65536 bytes");
    }
    Key key = key(keyName);
    Version v;
    if (versionNamed) {
      v = version(name);
    } else if (key.primary == null) {
      throw failedPrecondition(key.name + " has no primary version.");
    } else {
      v = key.primary;
    }
    CryptoKeyVersionState state = state(v);
    if (state != CryptoKeyVersionState.ENABLED) {
      throw failedPrecondition(v.name + " is not enabled, current state is: " + state + ".");
    }
    byte[] ciphertext = seal(v, r.getPlaintext().toByteArray(), r.getAdditionalAuthenticatedData().toByteArray());
    long crc = crc32c(ciphertext);
    if (faults.takeCorruption("Encrypt")) {
      crc = Rpc.corrupt(crc);
    }
    return EncryptResponse.newBuilder()
        .setName(v.name)
        .setCiphertext(ByteString.copyFrom(ciphertext))
        .setCiphertextCrc32C(Int64Value.of(crc))
        .setVerifiedPlaintextCrc32C(checksums && r.hasPlaintextCrc32C())
        .setVerifiedAdditionalAuthenticatedDataCrc32C(checksums && r.hasAdditionalAuthenticatedDataCrc32C())
        .setProtectionLevel(key.protectionLevel)
        .build();
  }

  private synchronized DecryptResponse decrypt(DecryptRequest r) {
    names.authorize(CRYPTO_KEY, r.getName(), "CryptoKey", DECRYPT_PERMISSION);
    if (!faults.takeDroppedChecksums("Decrypt")) {
      verify(r.hasCiphertextCrc32C(), r.getCiphertextCrc32C(), r.getCiphertext(), "ciphertext");
      verify(r.hasAdditionalAuthenticatedDataCrc32C(), r.getAdditionalAuthenticatedDataCrc32C(),
          r.getAdditionalAuthenticatedData(), "additional_authenticated_data");
    }
    if (r.getAdditionalAuthenticatedData().size() > MAX_DATA) {
      throw invalidArgument("additional_authenticated_data must be at most 65536 bytes");
    }
    Key key = key(r.getName());
    byte[] ct = r.getCiphertext().toByteArray();
    if (ct.length < CIPHERTEXT_OVERHEAD || ct.length > MAX_DATA + CIPHERTEXT_OVERHEAD || ct[0] != FORMAT) {
      throw invalidCiphertext();
    }
    int id = ByteBuffer.wrap(ct, 1, 4).getInt();
    if (id < 1 || id > key.versions.size()) {
      throw invalidCiphertext();
    }
    Version v = key.versions.get(id - 1);
    CryptoKeyVersionState state = state(v);
    if (state != CryptoKeyVersionState.ENABLED) {
      throw failedPrecondition(v.name + " is not enabled, current state is: " + state + ".");
    }
    byte[] plaintext = open(v, ct, r.getAdditionalAuthenticatedData().toByteArray());
    long crc = crc32c(plaintext);
    if (faults.takeCorruption("Decrypt")) {
      crc = Rpc.corrupt(crc);
    }
    DecryptResponse response = DecryptResponse.newBuilder()
        .setPlaintext(ByteString.copyFrom(plaintext))
        .setPlaintextCrc32C(Int64Value.of(crc))
        .setUsedPrimary(v == key.primary)
        .setProtectionLevel(key.protectionLevel)
        .build();
    Arrays.fill(plaintext, (byte) 0);
    return response;
  }

  private static void verify(boolean present, Int64Value expected, ByteString data, String field) {
    if (present && expected.getValue() != crc32c(data)) {
      throw invalidArgument("The checksum in field " + field + "_crc32c did not match the data in field " + field + ".");
    }
  }

  private static RuntimeException invalidCiphertext() {
    return invalidArgument("Decryption failed: the ciphertext is invalid.");
  }

  /** format(1) || version id(4) || nonce(12) || AES-GCM(plaintext) with AAD = header, key name, caller AAD. */
  private byte[] seal(Version v, byte[] plaintext, byte[] aad) {
    byte[] out = new byte[CIPHERTEXT_OVERHEAD + plaintext.length];
    ByteBuffer.wrap(out).put(FORMAT).putInt(v.id);
    byte[] nonce = new byte[12];
    random.nextBytes(nonce);
    System.arraycopy(nonce, 0, out, 5, 12);
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(v.material, "AES"), new GCMParameterSpec(128, nonce));
      c.updateAAD(boundData(out, v.key.name, aad));
      c.doFinal(plaintext, 0, plaintext.length, out, 17);
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  private static byte[] open(Version v, byte[] ct, byte[] aad) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(v.material, "AES"), new GCMParameterSpec(128, ct, 5, 12));
      c.updateAAD(boundData(ct, v.key.name, aad));
      return c.doFinal(ct, 17, ct.length - 17);
    } catch (AEADBadTagException e) {
      throw invalidCiphertext();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM unavailable", e);
    }
  }

  private static byte[] boundData(byte[] header, String keyName, byte[] aad) {
    byte[] name = keyName.getBytes(StandardCharsets.UTF_8);
    return ByteBuffer.allocate(5 + 4 + name.length + aad.length)
        .put(header, 0, 5).putInt(name.length).put(name).put(aad).array();
  }

  // ------------------------------------------------------------------ helpers

  private Version newVersion(Key key) {
    byte[] material = new byte[32];
    random.nextBytes(material);
    Version v = new Version(key, key.versions.size() + 1, clock.instant(), material);
    key.versions.add(v);
    return v;
  }

  private void changeState(Version v, CryptoKeyVersionState target) {
    CryptoKeyVersionState state = state(v);
    if (state != CryptoKeyVersionState.ENABLED && state != CryptoKeyVersionState.DISABLED) {
      throw failedPrecondition(v.name + " cannot be updated, current state is: " + state + ".");
    }
    v.state = target;
  }

  /** Applies a destruction whose scheduled time has passed, then answers the state. */
  private CryptoKeyVersionState state(Version v) {
    if (v.state == CryptoKeyVersionState.DESTROY_SCHEDULED && !clock.instant().isBefore(v.destroyTime)) {
      v.state = CryptoKeyVersionState.DESTROYED;
      Arrays.fill(v.material, (byte) 0);
    }
    return v.state;
  }

  private Key key(String name) {
    names.match(CRYPTO_KEY, name, "CryptoKey");
    Key key = keys.get(name);
    if (key == null) {
      throw notFound(name + " not found.");
    }
    return key;
  }

  private Version version(String name) {
    Matcher m = names.match(VERSION, name, "CryptoKeyVersion");
    Key key = key(name.substring(0, name.indexOf("/cryptoKeyVersions/")));
    int id;
    try {
      id = Integer.parseInt(m.group(5));
    } catch (NumberFormatException e) {
      throw invalidArgument("Resource name [" + name + "] does not represent a valid CryptoKeyVersion.");
    }
    if (id < 1 || id > key.versions.size()) {
      throw notFound(name + " not found.");
    }
    return key.versions.get(id - 1);
  }

  private static void noFilter(String filter, String orderBy) {
    if (!filter.isEmpty() || !orderBy.isEmpty()) {
      throw unimplemented("the fake does not support filter or order_by here");
    }
  }

  private CryptoKey toProto(Key k) {
    CryptoKey.Builder b = CryptoKey.newBuilder()
        .setName(k.name)
        .setPurpose(CryptoKeyPurpose.ENCRYPT_DECRYPT)
        .setCreateTime(timestamp(k.created))
        .setVersionTemplate(CryptoKeyVersionTemplate.newBuilder()
            .setAlgorithm(CryptoKeyVersionAlgorithm.GOOGLE_SYMMETRIC_ENCRYPTION)
            .setProtectionLevel(k.protectionLevel))
        .setDestroyScheduledDuration(com.google.protobuf.Duration.newBuilder().setSeconds(k.destroyDelay.getSeconds()))
        .putAllLabels(k.labels);
    if (k.requested.hasRotationPeriod()) {
      b.setRotationPeriod(k.requested.getRotationPeriod());
    }
    if (k.requested.hasNextRotationTime()) {
      b.setNextRotationTime(k.requested.getNextRotationTime());
    }
    if (k.primary != null) {
      b.setPrimary(toProto(k.primary));
    }
    return b.build();
  }

  private CryptoKeyVersion toProto(Version v) {
    CryptoKeyVersion.Builder b = CryptoKeyVersion.newBuilder()
        .setName(v.name)
        .setState(state(v))
        .setProtectionLevel(v.key.protectionLevel)
        .setAlgorithm(CryptoKeyVersionAlgorithm.GOOGLE_SYMMETRIC_ENCRYPTION)
        .setCreateTime(timestamp(v.created))
        .setGenerateTime(timestamp(v.created));
    if (v.destroyTime != null) {
      b.setDestroyTime(timestamp(v.destroyTime));
    }
    return b.build();
  }

  @Override
  public synchronized String toString() {
    return "FakeKms[" + keyRings.size() + " key rings, " + keys.size() + " keys]";
  }
}
