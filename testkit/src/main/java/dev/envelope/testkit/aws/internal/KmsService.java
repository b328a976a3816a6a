package dev.envelope.testkit.aws.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * In-memory AWS KMS for symmetric encryption keys, one key store per region (the region of each
 * request comes from its SigV4 credential scope). Keys, aliases, data keys, rotation, multi-Region
 * replicas; errors with the types and statuses of the KMS API reference. Thread-safe: every
 * operation runs under one lock, which is plenty for tests.
 */
public final class KmsService {
  /** The operations this fake implements, as named in {@code X-Amz-Target: TrentService.NAME}. */
  public static final Set<String> OPERATIONS = Set.of("CreateKey", "DescribeKey", "ListKeys", "CreateAlias",
      "UpdateAlias", "DeleteAlias", "ListAliases", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "Encrypt",
      "Decrypt", "ReEncrypt", "EnableKey", "DisableKey", "EnableKeyRotation", "DisableKeyRotation",
      "GetKeyRotationStatus", "RotateKeyOnDemand", "ListKeyRotations", "ScheduleKeyDeletion", "CancelKeyDeletion",
      "ReplicateKey");

  static final String SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT";
  private static final int MAX_ON_DEMAND_ROTATIONS = 10;
  private static final Pattern ALIAS_NAME = Pattern.compile("alias/[a-zA-Z0-9/_-]{1,250}");

  private final String partition = "aws";
  private final String account;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, RegionState> regions = new TreeMap<>();

  public KmsService(String account, Clock clock) {
    this.account = account;
    this.clock = clock;
  }

  private static final class RegionState {
    final Map<String, Key> keys = new LinkedHashMap<>();
    final Map<String, Alias> aliases = new TreeMap<>();
  }

  /** Key material shared by a key and, for a multi-Region key, all its replicas. */
  private static final class Material {
    final List<Version> versions = new ArrayList<>();
    boolean rotationEnabled;
    int rotationPeriodDays;
    Instant nextRotation;
    int onDemandRotations;
    String primaryRegion; // multi-Region keys only
    final List<String> replicaRegions = new ArrayList<>();

    Version current() {
      return versions.get(versions.size() - 1);
    }
  }

  private record Version(int index, SecretKey key, String materialId, Instant created, String rotationType) {}

  private static final class Key {
    final String id;
    final String region;
    final String arn;
    final Material material;
    final boolean multiRegion;
    final Instant created;
    String description;
    String state = "Enabled";
    Instant deletionDate;

    Key(String id, String region, String arn, Material material, boolean multiRegion, Instant created, String description) {
      this.id = id;
      this.region = region;
      this.arn = arn;
      this.material = material;
      this.multiRegion = multiRegion;
      this.created = created;
      this.description = description;
    }

    boolean isReplica() {
      return multiRegion && !region.equals(material.primaryRegion);
    }
  }

  private static final class Alias {
    final String name;
    String targetKeyId;
    final Instant created;
    Instant updated;

    Alias(String name, String targetKeyId, Instant created) {
      this.name = name;
      this.targetKeyId = targetKeyId;
      this.created = created;
      this.updated = created;
    }
  }

  /** Runs one operation in {@code region}. */
  public synchronized ObjectNode handle(String operation, JsonNode req, String region) {
    switch (operation) {
      case "CreateKey": return createKey(req, region);
      case "DescribeKey": return describeKey(req, region);
      case "ListKeys": return listKeys(req, region);
      case "CreateAlias": return createAlias(req, region);
      case "UpdateAlias": return updateAlias(req, region);
      case "DeleteAlias": return deleteAlias(req, region);
      case "ListAliases": return listAliases(req, region);
      case "GenerateDataKey": return generateDataKey(req, region, true);
      case "GenerateDataKeyWithoutPlaintext": return generateDataKey(req, region, false);
      case "Encrypt": return encrypt(req, region);
      case "Decrypt": return decrypt(req, region);
      case "ReEncrypt": return reEncrypt(req, region);
      case "EnableKey": return setEnabled(req, region, true);
      case "DisableKey": return setEnabled(req, region, false);
      case "EnableKeyRotation": return setRotation(req, region, true);
      case "DisableKeyRotation": return setRotation(req, region, false);
      case "GetKeyRotationStatus": return getKeyRotationStatus(req, region);
      case "RotateKeyOnDemand": return rotateKeyOnDemand(req, region);
      case "ListKeyRotations": return listKeyRotations(req, region);
      case "ScheduleKeyDeletion": return scheduleKeyDeletion(req, region);
      case "CancelKeyDeletion": return cancelKeyDeletion(req, region);
      case "ReplicateKey": return replicateKey(req, region);
      default: throw AwsError.of("UnknownOperationException", "Unknown operation " + operation);
    }
  }

  // ------------------------------------------------------------------ keys

  private ObjectNode createKey(JsonNode req, String region) {
    String description = orEmpty(Json.string(req, "Description", 0, 8192));
    String usage = Json.string(req, "KeyUsage", 1, 64);
    String spec = Json.string(req, "KeySpec", 1, 64);
    if (spec == null) {
      spec = Json.string(req, "CustomerMasterKeySpec", 1, 64);
    }
    String origin = Json.string(req, "Origin", 1, 64);
    if ((usage != null && !usage.equals("ENCRYPT_DECRYPT")) || (spec != null && !spec.equals(SYMMETRIC_DEFAULT))
        || (origin != null && !origin.equals("AWS_KMS")) || req.hasNonNull("CustomKeyStoreId")) {
      throw AwsError.of("UnsupportedOperationException",
          "The testkit fake supports symmetric ENCRYPT_DECRYPT keys with AWS_KMS origin only.");
    }
    boolean multiRegion = Json.bool(req, "MultiRegion");
    String id = multiRegion ? "mrk-" + HexFormat.of().formatHex(randomBytes(16)) : UUID.randomUUID().toString();
    Material m = new Material();
    addVersion(m, clock.instant(), null);
    if (multiRegion) {
      m.primaryRegion = region;
    }
    Key k = new Key(id, region, keyArn(region, id), m, multiRegion, clock.instant(), description);
    region(region).keys.put(id, k);
    ObjectNode out = Json.object();
    out.set("KeyMetadata", metadata(k));
    return out;
  }

  private ObjectNode describeKey(JsonNode req, String region) {
    Key k = resolve(region, Json.requiredString(req, "KeyId", 1, 2048), true);
    ObjectNode out = Json.object();
    out.set("KeyMetadata", metadata(k));
    return out;
  }

  private ObjectNode listKeys(JsonNode req, String region) {
    Json.integer(req, "Limit", 1, 1000);
    ArrayNode keys = Json.MAPPER.createArrayNode();
    for (Key k : List.copyOf(region(region).keys.values())) {
      if (purgeIfDeleted(k)) {
        continue;
      }
      keys.addObject().put("KeyId", k.id).put("KeyArn", k.arn);
    }
    ObjectNode out = Json.object();
    out.set("Keys", keys);
    out.put("Truncated", false);
    return out;
  }

  private ObjectNode setEnabled(JsonNode req, String region, boolean enabled) {
    Key k = resolve(region, Json.requiredString(req, "KeyId", 1, 2048), false);
    if (k.state.equals("PendingDeletion")) {
      throw AwsError.of("KMSInvalidStateException", k.arn + " is pending deletion.");
    }
    k.state = enabled ? "Enabled" : "Disabled";
    return Json.object();
  }

  private ObjectNode scheduleKeyDeletion(JsonNode req, String region) {
    Key k = resolve(region, Json.requiredString(req, "KeyId", 1, 2048), false);
    Integer days = Json.integer(req, "PendingWindowInDays", 7, 30);
    if (k.state.equals("PendingDeletion")) {
      throw AwsError.of("KMSInvalidStateException", k.arn + " is pending deletion.");
    }
    int window = days == null ? 30 : days;
    k.state = "PendingDeletion";
    k.deletionDate = clock.instant().plus(Duration.ofDays(window));
    ObjectNode out = Json.object().put("KeyId", k.arn);
    Json.putTime(out, "DeletionDate", k.deletionDate);
    out.put("KeyState", k.state).put("PendingWindowInDays", window);
    return out;
  }

  private ObjectNode cancelKeyDeletion(JsonNode req, String region) {
    Key k = resolve(region, Json.requiredString(req, "KeyId", 1, 2048), false);
    if (!k.state.equals("PendingDeletion")) {
      throw AwsError.of("KMSInvalidStateException", k.arn + " is not pending deletion.");
    }
    k.state = "Disabled";
    k.deletionDate = null;
    return Json.object().put("KeyId", k.arn);
  }

  private ObjectNode replicateKey(JsonNode req, String region) {
    Key k = resolve(region, Json.requiredString(req, "KeyId", 1, 2048), false);
    String replicaRegion = Json.requiredString(req, "ReplicaRegion", 1, 32);
    String description = Json.string(req, "Description", 0, 8192);
    if (!k.multiRegion || k.isReplica()) {
      throw AwsError.of("UnsupportedOperationException", k.arn + " is not a multi-Region primary key.");
    }
    if (replicaRegion.equals(region) || region(replicaRegion).keys.containsKey(k.id)) {
      throw AwsError.of("AlreadyExistsException", "Multi-Region key " + k.id + " already exists in " + replicaRegion + ".");
    }
    checkNotPendingDeletion(k);
    Key replica = new Key(k.id, replicaRegion, keyArn(replicaRegion, k.id), k.material, true, clock.instant(),
        description == null ? k.description : description);
    region(replicaRegion).keys.put(k.id, replica);
    k.material.replicaRegions.add(replicaRegion);
    ObjectNode out = Json.object();
    out.set("ReplicaKeyMetadata", metadata(replica));
    out.put("ReplicaPolicy", defaultPolicy());
    out.set("ReplicaTags", Json.MAPPER.createArrayNode());
    return out;
  }

  // ------------------------------------------------------------------ aliases

  private ObjectNode createAlias(JsonNode req, String region) {
    String name = aliasName(req);
    Key target = resolve(region, Json.requiredString(req, "TargetKeyId", 1, 2048), false);
    checkNotPendingDeletion(target);
    RegionState rs = region(region);
    if (rs.aliases.containsKey(name)) {
      throw AwsError.of("AlreadyExistsException", "An alias with the name " + aliasArn(region, name) + " already exists");
    }
    rs.aliases.put(name, new Alias(name, target.id, clock.instant()));
    return Json.object();
  }

  private ObjectNode updateAlias(JsonNode req, String region) {
    String name = aliasName(req);
    Key target = resolve(region, Json.requiredString(req, "TargetKeyId", 1, 2048), false);
    checkNotPendingDeletion(target);
    Alias a = region(region).aliases.get(name);
    if (a == null) {
      throw AwsError.notFound("Alias " + aliasArn(region, name) + " is not found.");
    }
    a.targetKeyId = target.id;
    a.updated = clock.instant();
    return Json.object();
  }

  private ObjectNode deleteAlias(JsonNode req, String region) {
    String name = aliasName(req);
    if (region(region).aliases.remove(name) == null) {
      throw AwsError.notFound("Alias " + aliasArn(region, name) + " is not found.");
    }
    return Json.object();
  }

  private ObjectNode listAliases(JsonNode req, String region) {
    String keyId = Json.string(req, "KeyId", 1, 2048);
    Json.integer(req, "Limit", 1, 100);
    String filter = keyId == null ? null : resolve(region, keyId, false).id;
    ArrayNode list = Json.MAPPER.createArrayNode();
    for (Alias a : region(region).aliases.values()) {
      if (filter != null && !filter.equals(a.targetKeyId)) {
        continue;
      }
      ObjectNode e = list.addObject().put("AliasName", a.name).put("AliasArn", aliasArn(region, a.name))
          .put("TargetKeyId", a.targetKeyId);
      Json.putTime(e, "CreationDate", a.created);
      Json.putTime(e, "LastUpdatedDate", a.updated);
    }
    ObjectNode out = Json.object();
    out.set("Aliases", list);
    out.put("Truncated", false);
    return out;
  }

  private static String aliasName(JsonNode req) {
    String name = Json.requiredString(req, "AliasName", 1, 256);
    if (!ALIAS_NAME.matcher(name).matches() || name.startsWith("alias/aws/")) {
      throw AwsError.of("InvalidAliasNameException", "Alias must start with the prefix \"alias/\" and contain only "
          + "alphanumeric characters, '/', '_' and '-'; the prefix \"alias/aws/\" is reserved.");
    }
    return name;
  }

  // ------------------------------------------------------------------ cryptographic operations

  private ObjectNode generateDataKey(JsonNode req, String region, boolean withPlaintext) {
    Key k = resolve(region, Json.requiredString(req, "KeyId", 1, 2048), true);
    Integer numberOfBytes = Json.integer(req, "NumberOfBytes", 1, 1024);
    String keySpec = Json.string(req, "KeySpec", 1, 16);
    Map<String, String> context = Json.stringMap(req, "EncryptionContext");
    if ((numberOfBytes == null) == (keySpec == null)) {
      throw AwsError.validation("Please specify either number of bytes or key spec.");
    }
    int length;
    if (keySpec != null) {
      length = switch (keySpec) {
        case "AES_256" -> 32;
        case "AES_128" -> 16;
        default -> throw AwsError.validation("1 validation error detected: Value '" + keySpec
            + "' at 'keySpec' failed to satisfy constraint: Member must satisfy enum value set: [AES_256, AES_128]");
      };
    } else {
      length = numberOfBytes;
    }
    if (req.hasNonNull("Recipient")) {
      throw AwsError.of("UnsupportedOperationException", "The testkit fake does not support Nitro Enclave recipients.");
    }
    checkUsable(k);
    dryRun(req);
    byte[] dataKey = randomBytes(length);
    Version v = k.material.current();
    ObjectNode out = Json.object();
    out.put("CiphertextBlob", CiphertextBlob.seal(k.id, v.index, v.key, dataKey, context, random));
    if (withPlaintext) {
      out.put("Plaintext", dataKey);
    }
    out.put("KeyId", k.arn).put("KeyMaterialId", v.materialId);
    return out;
  }

  private ObjectNode encrypt(JsonNode req, String region) {
    Key k = resolve(region, Json.requiredString(req, "KeyId", 1, 2048), true);
    byte[] plaintext = Json.blob(req, "Plaintext", 1, 4096);
    if (plaintext == null) {
      throw AwsError.validation("1 validation error detected: Value null at 'plaintext' failed to satisfy constraint: "
          + "Member must not be null");
    }
    Map<String, String> context = Json.stringMap(req, "EncryptionContext");
    checkAlgorithm(Json.string(req, "EncryptionAlgorithm", 1, 64));
    checkUsable(k);
    dryRun(req);
    Version v = k.material.current();
    ObjectNode out = Json.object();
    out.put("CiphertextBlob", CiphertextBlob.seal(k.id, v.index, v.key, plaintext, context, random));
    out.put("KeyId", k.arn).put("EncryptionAlgorithm", SYMMETRIC_DEFAULT);
    return out;
  }

  private ObjectNode decrypt(JsonNode req, String region) {
    byte[] blob = requiredCiphertext(req);
    Map<String, String> context = Json.stringMap(req, "EncryptionContext");
    checkAlgorithm(Json.string(req, "EncryptionAlgorithm", 1, 64));
    Opened o = open(region, blob, Json.string(req, "KeyId", 1, 2048), context);
    dryRun(req);
    ObjectNode out = Json.object();
    out.put("KeyId", o.key.arn).put("Plaintext", o.plaintext).put("EncryptionAlgorithm", SYMMETRIC_DEFAULT)
        .put("KeyMaterialId", o.version.materialId);
    return out;
  }

  private ObjectNode reEncrypt(JsonNode req, String region) {
    byte[] blob = requiredCiphertext(req);
    Map<String, String> sourceContext = Json.stringMap(req, "SourceEncryptionContext");
    Map<String, String> destinationContext = Json.stringMap(req, "DestinationEncryptionContext");
    checkAlgorithm(Json.string(req, "SourceEncryptionAlgorithm", 1, 64));
    checkAlgorithm(Json.string(req, "DestinationEncryptionAlgorithm", 1, 64));
    Key destination = resolve(region, Json.requiredString(req, "DestinationKeyId", 1, 2048), true);
    Opened o = open(region, blob, Json.string(req, "SourceKeyId", 1, 2048), sourceContext);
    checkUsable(destination);
    dryRun(req);
    Version v = destination.material.current();
    ObjectNode out = Json.object();
    out.put("CiphertextBlob", CiphertextBlob.seal(destination.id, v.index, v.key, o.plaintext, destinationContext, random));
    out.put("SourceKeyId", o.key.arn).put("KeyId", destination.arn)
        .put("SourceEncryptionAlgorithm", SYMMETRIC_DEFAULT).put("DestinationEncryptionAlgorithm", SYMMETRIC_DEFAULT)
        .put("SourceKeyMaterialId", o.version.materialId).put("DestinationKeyMaterialId", v.materialId);
    return out;
  }

  private record Opened(Key key, Version version, byte[] plaintext) {}

  /** Decrypt's and ReEncrypt's common half: find the key, check its state, authenticate. */
  private Opened open(String region, byte[] blob, String keyIdParam, Map<String, String> context) {
    CiphertextBlob parsed = CiphertextBlob.parse(blob);
    Key k;
    if (keyIdParam != null) {
      k = resolve(region, keyIdParam, true);
      if (parsed != null && !parsed.keyId.equals(k.id)) {
        throw AwsError.of("IncorrectKeyException", "The key ID in the request does not identify a KMS key that can "
            + "perform this operation.");
      }
    } else {
      k = parsed == null ? null : region(region).keys.get(parsed.keyId);
      if (k != null && purgeIfDeleted(k)) {
        k = null;
      }
    }
    if (parsed == null || k == null) {
      throw AwsError.of("InvalidCiphertextException", null);
    }
    checkUsable(k);
    if (parsed.version >= k.material.versions.size()) {
      throw AwsError.of("InvalidCiphertextException", null);
    }
    Version v = k.material.versions.get(parsed.version);
    byte[] plaintext = parsed.open(v.key, context);
    if (plaintext == null) {
      throw AwsError.of("InvalidCiphertextException", null);
    }
    return new Opened(k, v, plaintext);
  }

  private static byte[] requiredCiphertext(JsonNode req) {
    byte[] blob = Json.blob(req, "CiphertextBlob", 1, 6144);
    if (blob == null) {
      throw AwsError.validation("1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy "
          + "constraint: Member must not be null");
    }
    return blob;
  }

  private static void checkAlgorithm(String algorithm) {
    if (algorithm != null && !algorithm.equals(SYMMETRIC_DEFAULT)) {
      throw AwsError.of("InvalidKeyUsageException", "The encryption algorithm " + algorithm
          + " is not valid for a symmetric encryption KMS key.");
    }
  }

  /** DryRun: the request would have succeeded; KMS answers with this error instead. */
  private static void dryRun(JsonNode req) {
    if (Json.bool(req, "DryRun")) {
      throw AwsError.of("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.");
    }
  }

  // ------------------------------------------------------------------ rotation

  private ObjectNode setRotation(JsonNode req, String region, boolean enable) {
    Key k = resolve(region, Json.requiredString(req, "KeyId", 1, 2048), false);
    Integer days = enable ? Json.integer(req, "RotationPeriodInDays", 90, 2560) : null;
    if (k.isReplica()) {
      throw AwsError.of("UnsupportedOperationException", k.arn + " is a multi-Region replica key; rotation is "
          + "managed on its primary key.");
    }
    checkUsable(k);
    Material m = k.material;
    if (enable) {
      m.rotationEnabled = true;
      m.rotationPeriodDays = days == null ? 365 : days;
      m.nextRotation = clock.instant().plus(Duration.ofDays(m.rotationPeriodDays));
    } else {
      m.rotationEnabled = false;
      m.nextRotation = null;
    }
    return Json.object();
  }

  private ObjectNode getKeyRotationStatus(JsonNode req, String region) {
    Key k = resolve(region, Json.requiredString(req, "KeyId", 1, 2048), false);
    ObjectNode out = Json.object().put("KeyRotationEnabled", k.material.rotationEnabled).put("KeyId", k.arn);
    if (k.material.rotationEnabled) {
      out.put("RotationPeriodInDays", k.material.rotationPeriodDays);
      Json.putTime(out, "NextRotationDate", k.material.nextRotation);
    }
    return out;
  }

  private ObjectNode rotateKeyOnDemand(JsonNode req, String region) {
    Key k = resolve(region, Json.requiredString(req, "KeyId", 1, 2048), false);
    if (k.isReplica()) {
      throw AwsError.of("UnsupportedOperationException", k.arn + " is a multi-Region replica key; rotate its primary key.");
    }
    checkUsable(k);
    if (k.material.onDemandRotations >= MAX_ON_DEMAND_ROTATIONS) {
      throw AwsError.of("LimitExceededException", "The KMS key " + k.arn + " reached the limit of "
          + MAX_ON_DEMAND_ROTATIONS + " on-demand rotations.");
    }
    k.material.onDemandRotations++;
    addVersion(k.material, clock.instant(), "ON_DEMAND");
    return Json.object().put("KeyId", k.id);
  }

  private ObjectNode listKeyRotations(JsonNode req, String region) {
    Key k = resolve(region, Json.requiredString(req, "KeyId", 1, 2048), false);
    Json.integer(req, "Limit", 1, 1000);
    ArrayNode list = Json.MAPPER.createArrayNode();
    Version current = k.material.current();
    for (Version v : k.material.versions) {
      if (v.rotationType == null) {
        continue;
      }
      ObjectNode e = list.addObject().put("KeyId", k.arn).put("KeyMaterialId", v.materialId)
          .put("KeyMaterialState", v == current ? "CURRENT" : "NON_CURRENT").put("RotationType", v.rotationType);
      Json.putTime(e, "RotationDate", v.created);
    }
    ObjectNode out = Json.object();
    out.set("Rotations", list);
    out.put("Truncated", false);
    return out;
  }

  private void addVersion(Material m, Instant at, String rotationType) {
    m.versions.add(new Version(m.versions.size(), new SecretKeySpec(randomBytes(32), "AES"),
        HexFormat.of().formatHex(randomBytes(32)), at, rotationType));
  }

  /** Automatic rotation happens lazily, when a key is next looked up after its due date. */
  private void rotateIfDue(Material m) {
    Instant now = clock.instant();
    while (m.rotationEnabled && m.nextRotation != null && !now.isBefore(m.nextRotation)) {
      addVersion(m, m.nextRotation, "AUTOMATIC");
      m.nextRotation = m.nextRotation.plus(Duration.ofDays(m.rotationPeriodDays));
    }
  }

  // ------------------------------------------------------------------ lookup

  /**
   * Finds a key by key id, key ARN and, where KMS allows it ({@code aliases}), alias name or alias
   * ARN. ARNs must name this region and account.
   */
  private Key resolve(String region, String keyId, boolean aliases) {
    RegionState rs = region(region);
    String id = keyId;
    String shown = keyId;
    Arn arn = Arn.parse(keyId);
    if (arn != null) {
      if (!arn.partition().equals(partition) || !arn.service().equals("kms") || !arn.account().equals(account)
          || !arn.region().equals(region)) {
        throw AwsError.notFound("Invalid arn " + region);
      }
      id = arn.resource();
      if (id.startsWith("key/")) {
        id = id.substring(4);
      }
    }
    if (id.startsWith("alias/")) {
      if (!aliases) {
        throw AwsError.notFound("Invalid keyId " + keyId);
      }
      Alias a = rs.aliases.get(id);
      if (a == null) {
        throw AwsError.notFound("Alias " + aliasArn(region, id) + " is not found.");
      }
      id = a.targetKeyId;
    } else {
      shown = keyArn(region, id);
    }
    Key k = rs.keys.get(id);
    if (k == null || purgeIfDeleted(k)) {
      throw AwsError.notFound("Key '" + shown + "' does not exist");
    }
    rotateIfDue(k.material);
    return k;
  }

  /** Removes a key whose deletion date passed; true if it was removed. */
  private boolean purgeIfDeleted(Key k) {
    if (!k.state.equals("PendingDeletion") || clock.instant().isBefore(k.deletionDate)) {
      return false;
    }
    RegionState rs = region(k.region);
    rs.keys.remove(k.id);
    rs.aliases.values().removeIf(a -> a.targetKeyId.equals(k.id));
    k.material.replicaRegions.remove(k.region);
    return true;
  }

  private static void checkUsable(Key k) {
    if (k.state.equals("Disabled")) {
      throw AwsError.of("DisabledException", k.arn + " is disabled.");
    }
    checkNotPendingDeletion(k);
  }

  private static void checkNotPendingDeletion(Key k) {
    if (k.state.equals("PendingDeletion")) {
      throw AwsError.of("KMSInvalidStateException", k.arn + " is pending deletion.");
    }
  }

  private RegionState region(String region) {
    return regions.computeIfAbsent(region, r -> new RegionState());
  }

  private ObjectNode metadata(Key k) {
    ObjectNode m = Json.object().put("AWSAccountId", account).put("KeyId", k.id).put("Arn", k.arn);
    Json.putTime(m, "CreationDate", k.created);
    m.put("Enabled", k.state.equals("Enabled")).put("Description", k.description)
        .put("KeyUsage", "ENCRYPT_DECRYPT").put("KeyState", k.state);
    Json.putTime(m, "DeletionDate", k.deletionDate);
    m.put("Origin", "AWS_KMS").put("KeyManager", "CUSTOMER").put("CustomerMasterKeySpec", SYMMETRIC_DEFAULT)
        .put("KeySpec", SYMMETRIC_DEFAULT);
    m.set("EncryptionAlgorithms", Json.array(List.of(SYMMETRIC_DEFAULT)));
    m.put("MultiRegion", k.multiRegion);
    if (k.multiRegion) {
      ObjectNode c = m.putObject("MultiRegionConfiguration");
      c.put("MultiRegionKeyType", k.isReplica() ? "REPLICA" : "PRIMARY");
      String primary = k.material.primaryRegion;
      c.putObject("PrimaryKey").put("Arn", keyArn(primary, k.id)).put("Region", primary);
      ArrayNode replicas = c.putArray("ReplicaKeys");
      for (String r : k.material.replicaRegions) {
        replicas.addObject().put("Arn", keyArn(r, k.id)).put("Region", r);
      }
    }
    m.put("CurrentKeyMaterialId", k.material.current().materialId);
    return m;
  }

  private String defaultPolicy() {
    ObjectNode p = Json.object().put("Version", "2012-10-17").put("Id", "key-default-1");
    p.putArray("Statement").addObject().put("Sid", "Enable IAM User Permissions").put("Effect", "Allow")
        .put("Action", "kms:*").put("Resource", "*")
        .putObject("Principal").put("AWS", "arn:" + partition + ":iam::" + account + ":root");
    return p.toString();
  }

  String keyArn(String region, String id) {
    return "arn:" + partition + ":kms:" + region + ":" + account + ":key/" + id;
  }

  String aliasArn(String region, String name) {
    return "arn:" + partition + ":kms:" + region + ":" + account + ":" + name;
  }

  private byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
  }
}
