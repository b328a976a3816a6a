package dev.envelope.testkit.azure;

import java.util.Map;

/**
 * An error answer in Key Vault's shape: HTTP status and
 * {@code {"error":{"code":…,"message":…,"innererror":{"code":…}}}}, plus {@code Retry-After}
 * for throttling.
 */
final class VaultError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private static final Map<String, String> DATA_ACTIONS = Map.ofEntries(
      Map.entry(AzureFaults.CREATE_KEY, "Microsoft.KeyVault/vaults/keys/create/action"),
      Map.entry(AzureFaults.GET_KEY, "Microsoft.KeyVault/vaults/keys/read"),
      Map.entry(AzureFaults.ROTATE_KEY, "Microsoft.KeyVault/vaults/keys/rotate/action"),
      Map.entry(AzureFaults.UPDATE_KEY, "Microsoft.KeyVault/vaults/keys/update/action"),
      Map.entry(AzureFaults.LIST_KEYS, "Microsoft.KeyVault/vaults/keys/read"),
      Map.entry(AzureFaults.LIST_KEY_VERSIONS, "Microsoft.KeyVault/vaults/keys/read"),
      Map.entry(AzureFaults.WRAP_KEY, "Microsoft.KeyVault/vaults/keys/wrap/action"),
      Map.entry(AzureFaults.UNWRAP_KEY, "Microsoft.KeyVault/vaults/keys/unwrap/action"),
      Map.entry(AzureFaults.ENCRYPT, "Microsoft.KeyVault/vaults/keys/encrypt/action"),
      Map.entry(AzureFaults.DECRYPT, "Microsoft.KeyVault/vaults/keys/decrypt/action"),
      Map.entry(AzureFaults.SET_SECRET, "Microsoft.KeyVault/vaults/secrets/setSecret/action"),
      Map.entry(AzureFaults.GET_SECRET, "Microsoft.KeyVault/vaults/secrets/getSecret/action"),
      Map.entry(AzureFaults.UPDATE_SECRET, "Microsoft.KeyVault/vaults/secrets/update/action"),
      Map.entry(AzureFaults.LIST_SECRETS, "Microsoft.KeyVault/vaults/secrets/readMetadata/action"),
      Map.entry(AzureFaults.LIST_SECRET_VERSIONS, "Microsoft.KeyVault/vaults/secrets/readMetadata/action"));

  final int status;
  final String code;
  final String innerCode;
  /** Seconds for {@code Retry-After}, or -1 for none. */
  final long retryAfterSeconds;

  VaultError(int status, String code, String message, String innerCode, long retryAfterSeconds) {
    super(message, null, false, false);
    this.status = status;
    this.code = code;
    this.innerCode = innerCode;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  static VaultError badParameter(String message) {
    return new VaultError(400, "BadParameter", message, null, -1);
  }

  static VaultError keyNotFound(String nameOrId) {
    return new VaultError(404, "KeyNotFound", "A key with (name/id) " + nameOrId
        + " was not found in this key vault. If you recently deleted this key you may be able to recover it"
        + " using the correct recovery command.", null, -1);
  }

  static VaultError secretNotFound(String nameOrId) {
    return new VaultError(404, "SecretNotFound", "A secret with (name/id) " + nameOrId
        + " was not found in this key vault. If you recently deleted this secret you may be able to recover it"
        + " using the correct recovery command.", null, -1);
  }

  static VaultError keyDisabled(String operation) {
    return new VaultError(403, "Forbidden", "Operation " + operation + " is not allowed on a disabled key.",
        "KeyDisabled", -1);
  }

  static VaultError secretDisabled() {
    return new VaultError(403, "Forbidden", "Operation get is not allowed on a disabled secret.",
        "SecretDisabled", -1);
  }

  static VaultError operationNotPermitted(String operation) {
    return new VaultError(403, "Forbidden", "Operation " + operation + " is not permitted for this key.",
        "KeyOperationForbidden", -1);
  }

  static VaultError forbiddenByRbac(String operation) {
    return new VaultError(403, "Forbidden", "Caller is not authorized to perform action on resource.\r\n"
        + "Action: '" + DATA_ACTIONS.getOrDefault(operation, "Microsoft.KeyVault/vaults/*") + "'",
        "ForbiddenByRbac", -1);
  }

  static VaultError throttled(long retryAfterSeconds) {
    return new VaultError(429, "Throttled", "Request was not processed because too many requests were received."
        + " Reason: the vault's service limit was exceeded.", null, retryAfterSeconds);
  }

  static VaultError unauthorized() {
    return new VaultError(401, "Unauthorized", "AKV10000: Request is missing a Bearer or PoP token.", null, -1);
  }
}
