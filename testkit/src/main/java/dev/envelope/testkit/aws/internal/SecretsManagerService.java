package dev.envelope.testkit.aws.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * In-memory AWS Secrets Manager, one secret store per region: secrets with versions and staging
 * labels (AWSCURRENT, AWSPENDING, AWSPREVIOUS and custom ones) that move the way the service
 * moves them, idempotent ClientRequestTokens, deletion with a recovery window. Thread-safe.
 */
public final class SecretsManagerService {
  /** The operations this fake implements, as named in {@code X-Amz-Target: secretsmanager.NAME}. */
  public static final Set<String> OPERATIONS = Set.of("CreateSecret", "PutSecretValue", "GetSecretValue",
      "DescribeSecret", "UpdateSecretVersionStage", "ListSecretVersionIds", "DeleteSecret", "RestoreSecret",
      "ListSecrets");

  static final String CURRENT = "AWSCURRENT";
  static final String PREVIOUS = "AWSPREVIOUS";
  /** Versions without a staging label that the service keeps before removing the oldest. */
  private static final int MAX_DEPRECATED_VERSIONS = 100;
  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9/_+=.@!-]{1,512}");
  private static final String ALPHANUMERIC = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

  private final String account;
  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Map<String, Secret>> regions = new TreeMap<>();

  public SecretsManagerService(String account, Clock clock) {
    this.account = account;
    this.clock = clock;
  }

  private static final class Secret {
    final String name;
    final String arn;
    final Instant created;
    String description;
    String kmsKeyId;
    Instant lastChanged;
    Instant deletedDate;
    Instant deletionDate;
    final LinkedHashMap<String, Version> versions = new LinkedHashMap<>();

    Secret(String name, String arn, Instant created) {
      this.name = name;
      this.arn = arn;
      this.created = created;
      this.lastChanged = created;
    }

    Version holder(String stage) {
      for (Version v : versions.values()) {
        if (v.stages.contains(stage)) {
          return v;
        }
      }
      return null;
    }
  }

  private static final class Version {
    final String id;
    final String string;
    final byte[] binary;
    final Instant created;
    final Set<String> stages = new LinkedHashSet<>();

    Version(String id, String string, byte[] binary, Instant created) {
      this.id = id;
      this.string = string;
      this.binary = binary;
      this.created = created;
    }

    boolean sameValue(String s, byte[] b) {
      return Objects.equals(string, s) && Arrays.equals(binary, b);
    }
  }

  /** Runs one operation in {@code region}. */
  public synchronized ObjectNode handle(String operation, JsonNode req, String region) {
    switch (operation) {
      case "CreateSecret": return createSecret(req, region);
      case "PutSecretValue": return putSecretValue(req, region);
      case "GetSecretValue": return getSecretValue(req, region);
      case "DescribeSecret": return describeSecret(req, region);
      case "UpdateSecretVersionStage": return updateSecretVersionStage(req, region);
      case "ListSecretVersionIds": return listSecretVersionIds(req, region);
      case "DeleteSecret": return deleteSecret(req, region);
      case "RestoreSecret": return restoreSecret(req, region);
      case "ListSecrets": return listSecrets(req, region);
      default: throw AwsError.of("UnknownOperationException", "Unknown operation " + operation);
    }
  }

  private ObjectNode createSecret(JsonNode req, String region) {
    String name = Json.requiredString(req, "Name", 1, 512);
    if (!NAME.matcher(name).matches()) {
      throw AwsError.of("InvalidParameterException", "Invalid name. Must be a valid name containing alphanumeric "
          + "characters, or any of the following: -/_+=.@!");
    }
    String token = Json.string(req, "ClientRequestToken", 32, 64);
    String description = Json.string(req, "Description", 0, 2048);
    String kmsKeyId = Json.string(req, "KmsKeyId", 0, 2048);
    String string = Json.string(req, "SecretString", 1, 65536);
    byte[] binary = Json.blob(req, "SecretBinary", 1, 65536);
    checkOneValue(string, binary);
    Map<String, Secret> secrets = secrets(region);
    Secret existing = secrets.get(name);
    if (existing != null && !purgeIfDeleted(region, existing)) {
      if (existing.deletedDate != null) {
        throw AwsError.of("InvalidRequestException", "You can't create this secret because a secret with this name "
            + "is already scheduled for deletion.");
      }
      throw AwsError.of("ResourceExistsException", "The operation failed because the secret " + name
          + " already exists.");
    }
    Secret s = new Secret(name, secretArn(region, name), clock.instant());
    s.description = description;
    s.kmsKeyId = kmsKeyId;
    secrets.put(name, s);
    ObjectNode out = Json.object().put("ARN", s.arn).put("Name", s.name);
    if (string != null || binary != null) {
      Version v = new Version(token == null ? UUID.randomUUID().toString() : token, string, binary, clock.instant());
      s.versions.put(v.id, v);
      v.stages.add(CURRENT);
      out.put("VersionId", v.id);
    }
    return out;
  }

  private ObjectNode putSecretValue(JsonNode req, String region) {
    Secret s = live(region, Json.requiredString(req, "SecretId", 1, 2048));
    String token = Json.string(req, "ClientRequestToken", 32, 64);
    String string = Json.string(req, "SecretString", 1, 65536);
    byte[] binary = Json.blob(req, "SecretBinary", 1, 65536);
    List<String> stages = stageList(req);
    checkOneValue(string, binary);
    if (string == null && binary == null) {
      throw AwsError.of("InvalidRequestException", "You must provide either SecretString or SecretBinary.");
    }
    if (token == null) {
      token = UUID.randomUUID().toString();
    }
    Version v = s.versions.get(token);
    if (v != null) {
      if (!v.sameValue(string, binary)) {
        throw AwsError.of("ResourceExistsException", "A version with this ClientRequestToken already exists with a "
            + "different secret value.");
      }
    } else {
      v = new Version(token, string, binary, clock.instant());
      s.versions.put(v.id, v);
      for (String stage : stages == null ? List.of(CURRENT) : stages) {
        moveStage(s, stage, v);
      }
      pruneDeprecated(s);
      s.lastChanged = clock.instant();
    }
    ObjectNode out = Json.object().put("ARN", s.arn).put("Name", s.name).put("VersionId", v.id);
    out.set("VersionStages", Json.array(v.stages));
    return out;
  }

  private ObjectNode getSecretValue(JsonNode req, String region) {
    Secret s = live(region, Json.requiredString(req, "SecretId", 1, 2048));
    String versionId = Json.string(req, "VersionId", 32, 64);
    String stage = Json.string(req, "VersionStage", 1, 256);
    Version v;
    if (versionId != null) {
      v = s.versions.get(versionId);
      if (v == null || (stage != null && !v.stages.contains(stage))) {
        throw AwsError.of("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for "
            + "VersionId: " + versionId + (stage == null ? "" : " and staging label: " + stage));
      }
    } else {
      String wanted = stage == null ? CURRENT : stage;
      v = s.holder(wanted);
      if (v == null) {
        throw AwsError.of("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for "
            + "staging label: " + wanted);
      }
    }
    ObjectNode out = Json.object().put("ARN", s.arn).put("Name", s.name).put("VersionId", v.id);
    if (v.string != null) {
      out.put("SecretString", v.string);
    } else {
      out.put("SecretBinary", v.binary);
    }
    out.set("VersionStages", Json.array(v.stages));
    Json.putTime(out, "CreatedDate", v.created);
    return out;
  }

  private ObjectNode describeSecret(JsonNode req, String region) {
    Secret s = find(region, Json.requiredString(req, "SecretId", 1, 2048));
    ObjectNode out = Json.object().put("ARN", s.arn).put("Name", s.name);
    if (s.description != null) {
      out.put("Description", s.description);
    }
    if (s.kmsKeyId != null) {
      out.put("KmsKeyId", s.kmsKeyId);
    }
    out.put("RotationEnabled", false);
    Json.putTime(out, "LastChangedDate", s.lastChanged);
    Json.putTime(out, "DeletedDate", s.deletedDate);
    out.set("Tags", Json.MAPPER.createArrayNode());
    out.set("VersionIdsToStages", versionsToStages(s));
    Json.putTime(out, "CreatedDate", s.created);
    return out;
  }

  private ObjectNode updateSecretVersionStage(JsonNode req, String region) {
    Secret s = live(region, Json.requiredString(req, "SecretId", 1, 2048));
    String stage = Json.requiredString(req, "VersionStage", 1, 256);
    String removeFrom = Json.string(req, "RemoveFromVersionId", 32, 64);
    String moveTo = Json.string(req, "MoveToVersionId", 32, 64);
    Version holder = s.holder(stage);
    if (removeFrom != null) {
      Version from = s.versions.get(removeFrom);
      if (from == null || !from.stages.contains(stage)) {
        throw AwsError.of("InvalidParameterException", "The staging label " + stage + " is not attached to version "
            + removeFrom + ".");
      }
    }
    if (moveTo != null) {
      Version to = s.versions.get(moveTo);
      if (to == null) {
        throw AwsError.of("ResourceNotFoundException", "Secrets Manager can't find the specified secret value for "
            + "VersionId: " + moveTo);
      }
      if (holder != null && holder != to && removeFrom == null) {
        throw AwsError.of("InvalidParameterException", "The parameter RemoveFromVersionId can't be empty. Staging "
            + "label " + stage + " is currently attached to version " + holder.id + ", so you must explicitly "
            + "reference that version in RemoveFromVersionId.");
      }
      moveStage(s, stage, to);
    } else if (removeFrom != null) {
      if (stage.equals(CURRENT)) {
        throw AwsError.of("InvalidParameterException", "You can only move the staging label AWSCURRENT to another "
            + "version; it can't be removed.");
      }
      s.versions.get(removeFrom).stages.remove(stage);
    } else {
      throw AwsError.of("InvalidParameterException", "You must specify MoveToVersionId or RemoveFromVersionId.");
    }
    pruneDeprecated(s);
    s.lastChanged = clock.instant();
    return Json.object().put("ARN", s.arn).put("Name", s.name);
  }

  private ObjectNode listSecretVersionIds(JsonNode req, String region) {
    Secret s = find(region, Json.requiredString(req, "SecretId", 1, 2048));
    Integer max = Json.integer(req, "MaxResults", 1, 100);
    int offset = offset(Json.string(req, "NextToken", 1, 4096));
    boolean includeDeprecated = Json.bool(req, "IncludeDeprecated");
    List<Version> listed = new ArrayList<>();
    for (Version v : s.versions.values()) {
      if (includeDeprecated || !v.stages.isEmpty()) {
        listed.add(v);
      }
    }
    int end = Math.min(listed.size(), offset + (max == null ? 100 : max));
    ArrayNode versions = Json.MAPPER.createArrayNode();
    for (Version v : listed.subList(Math.min(offset, listed.size()), end)) {
      ObjectNode e = versions.addObject().put("VersionId", v.id);
      e.set("VersionStages", Json.array(v.stages));
      Json.putTime(e, "CreatedDate", v.created);
      e.set("KmsKeyIds", Json.array(List.of(s.kmsKeyId == null ? "DefaultEncryptionKey" : s.kmsKeyId)));
    }
    ObjectNode out = Json.object();
    out.set("Versions", versions);
    if (end < listed.size()) {
      out.put("NextToken", token(end));
    }
    out.put("ARN", s.arn).put("Name", s.name);
    return out;
  }

  private ObjectNode deleteSecret(JsonNode req, String region) {
    Secret s = find(region, Json.requiredString(req, "SecretId", 1, 2048));
    Integer window = Json.integer(req, "RecoveryWindowInDays", 7, 30);
    boolean force = Json.bool(req, "ForceDeleteWithoutRecovery");
    if (force && window != null) {
      throw AwsError.of("InvalidParameterException", "You can't use ForceDeleteWithoutRecovery in conjunction with "
          + "RecoveryWindowInDays.");
    }
    Instant now = clock.instant();
    if (force) {
      secrets(region).remove(s.name);
      s.deletionDate = now;
    } else if (s.deletedDate == null) {
      s.deletedDate = now;
      s.deletionDate = now.plus(Duration.ofDays(window == null ? 30 : window));
    }
    ObjectNode out = Json.object().put("ARN", s.arn).put("Name", s.name);
    Json.putTime(out, "DeletionDate", s.deletionDate);
    return out;
  }

  private ObjectNode restoreSecret(JsonNode req, String region) {
    Secret s = find(region, Json.requiredString(req, "SecretId", 1, 2048));
    s.deletedDate = null;
    s.deletionDate = null;
    return Json.object().put("ARN", s.arn).put("Name", s.name);
  }

  private ObjectNode listSecrets(JsonNode req, String region) {
    Integer max = Json.integer(req, "MaxResults", 1, 100);
    int offset = offset(Json.string(req, "NextToken", 1, 4096));
    boolean includeDeleted = Json.bool(req, "IncludePlannedDeletion");
    List<Secret> listed = new ArrayList<>();
    for (Secret s : List.copyOf(secrets(region).values())) {
      if (!purgeIfDeleted(region, s) && (includeDeleted || s.deletedDate == null)) {
        listed.add(s);
      }
    }
    int end = Math.min(listed.size(), offset + (max == null ? 100 : max));
    ArrayNode list = Json.MAPPER.createArrayNode();
    for (Secret s : listed.subList(Math.min(offset, listed.size()), end)) {
      ObjectNode e = list.addObject().put("ARN", s.arn).put("Name", s.name);
      if (s.description != null) {
        e.put("Description", s.description);
      }
      Json.putTime(e, "LastChangedDate", s.lastChanged);
      Json.putTime(e, "DeletedDate", s.deletedDate);
      e.set("SecretVersionsToStages", versionsToStages(s));
      Json.putTime(e, "CreatedDate", s.created);
    }
    ObjectNode out = Json.object();
    out.set("SecretList", list);
    if (end < listed.size()) {
      out.put("NextToken", token(end));
    }
    return out;
  }

  // ------------------------------------------------------------------ helpers

  /**
   * Attaches {@code stage} to {@code to}, taking it from the version that had it. Moving AWSCURRENT
   * labels the version that had it AWSPREVIOUS, as the service does.
   */
  private static void moveStage(Secret s, String stage, Version to) {
    Version from = s.holder(stage);
    if (from == to) {
      return;
    }
    if (from != null) {
      from.stages.remove(stage);
    }
    to.stages.add(stage);
    if (stage.equals(CURRENT) && from != null) {
      moveStage(s, PREVIOUS, from);
    }
  }

  private static void pruneDeprecated(Secret s) {
    int deprecated = 0;
    for (Version v : s.versions.values()) {
      if (v.stages.isEmpty()) {
        deprecated++;
      }
    }
    var it = s.versions.values().iterator();
    while (deprecated > MAX_DEPRECATED_VERSIONS && it.hasNext()) {
      if (it.next().stages.isEmpty()) {
        it.remove();
        deprecated--;
      }
    }
  }

  private static ObjectNode versionsToStages(Secret s) {
    ObjectNode m = Json.object();
    for (Version v : s.versions.values()) {
      if (!v.stages.isEmpty()) {
        m.set(v.id, Json.array(v.stages));
      }
    }
    return m;
  }

  private static List<String> stageList(JsonNode req) {
    JsonNode n = req.get("VersionStages");
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isArray() || n.isEmpty() || n.size() > 20) {
      throw AwsError.validation("1 validation error detected: Value at 'versionStages' failed to satisfy constraint: "
          + "Member must have length between 1 and 20");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual() || e.asText().isEmpty() || e.asText().length() > 256) {
        throw AwsError.validation("1 validation error detected: Value at 'versionStages' failed to satisfy "
            + "constraint: Member must be a list of strings of length 1 to 256");
      }
      out.add(e.asText());
    }
    return out;
  }

  private static void checkOneValue(String string, byte[] binary) {
    if (string != null && binary != null) {
      throw AwsError.of("InvalidParameterException", "You can't specify both a binary secret value and a string "
          + "secret value in the same secret.");
    }
  }

  private static int offset(String token) {
    if (token == null) {
      return 0;
    }
    try {
      String s = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.US_ASCII);
      if (s.startsWith("o:")) {
        int n = Integer.parseInt(s.substring(2));
        if (n >= 0) {
          return n;
        }
      }
    } catch (IllegalArgumentException e) {
      // fall through
    }
    throw AwsError.of("InvalidNextTokenException", "The NextToken value is invalid.");
  }

  private static String token(int offset) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("o:" + offset).getBytes(StandardCharsets.US_ASCII));
  }

  /** A secret that is not scheduled for deletion. */
  private Secret live(String region, String secretId) {
    Secret s = find(region, secretId);
    if (s.deletedDate != null) {
      throw AwsError.of("InvalidRequestException", "You can't perform this operation on the secret because it was "
          + "marked for deletion.");
    }
    return s;
  }

  /** Finds a secret by name, full ARN or partial ARN (without the random suffix). */
  private Secret find(String region, String secretId) {
    Map<String, Secret> secrets = secrets(region);
    Secret s = null;
    Arn arn = Arn.parse(secretId);
    if (arn == null) {
      s = secrets.get(secretId);
    } else if (arn.service().equals("secretsmanager") && arn.region().equals(region) && arn.account().equals(account)
        && arn.resource().startsWith("secret:")) {
      String rest = arn.resource().substring("secret:".length());
      s = secrets.get(rest);
      if (s == null || !s.arn.equals(secretId) && !secretId.equals(partialArn(region, s.name))) {
        s = null;
        for (Secret c : secrets.values()) {
          if (c.arn.equals(secretId)) {
            s = c;
          }
        }
      }
    }
    if (s == null || purgeIfDeleted(region, s)) {
      throw AwsError.of("ResourceNotFoundException", "Secrets Manager can't find the specified secret.");
    }
    return s;
  }

  private boolean purgeIfDeleted(String region, Secret s) {
    if (s.deletedDate == null || clock.instant().isBefore(s.deletionDate)) {
      return false;
    }
    secrets(region).remove(s.name);
    return true;
  }

  private Map<String, Secret> secrets(String region) {
    return regions.computeIfAbsent(region, r -> new LinkedHashMap<>());
  }

  private String partialArn(String region, String name) {
    return "arn:aws:secretsmanager:" + region + ":" + account + ":secret:" + name;
  }

  /** Real secret ARNs end in a hyphen and six random characters, so a re-created name gets a new ARN. */
  private String secretArn(String region, String name) {
    StringBuilder suffix = new StringBuilder(6);
    for (int i = 0; i < 6; i++) {
      suffix.append(ALPHANUMERIC.charAt(random.nextInt(ALPHANUMERIC.length())));
    }
    return partialArn(region, name) + "-" + suffix;
  }
}
