package dev.envelope.testkit.azure;

import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.crypto.KeyGenerator;
import javax.crypto.SecretKey;

/**
 * The vault's objects: keys and secrets, each a list of versions in creation order. As in Key
 * Vault, names are case-insensitive, the newest version is the current one, and creating a key or
 * setting a secret under an existing name adds a version.
 */
final class Vault {
  static final Pattern NAME = Pattern.compile("[0-9a-zA-Z-]{1,127}");
  static final Set<String> KEY_OPS = Set.of("encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey");
  /** Key Vault's limit for a secret value. */
  static final int MAX_SECRET_CHARS = 25 * 1024;

  private final Clock clock;
  private final SecureRandom random = new SecureRandom();
  private final Map<String, Named<KeyVersion>> keys = new ConcurrentHashMap<>();
  private final Map<String, Named<SecretVersion>> secrets = new ConcurrentHashMap<>();

  Vault(Clock clock) {
    this.clock = clock;
  }

  /** A named object and its versions; guarded by its own monitor. */
  static final class Named<V> {
    final String name;
    final List<V> versions = new ArrayList<>();

    Named(String name) {
      this.name = name;
    }
  }

  static final class Attributes {
    boolean enabled = true;
    Long notBefore;
    Long expires;
    long created;
    long updated;
  }

  static final class KeyVersion {
    final String name;
    final String version;
    final String kty;
    final int size;
    final KeyPair rsa;
    final SecretKey aes;
    List<String> ops;
    final Attributes attributes = new Attributes();
    Map<String, String> tags = Map.of();

    KeyVersion(String name, String version, String kty, int size, KeyPair rsa, SecretKey aes) {
      this.name = name;
      this.version = version;
      this.kty = kty;
      this.size = size;
      this.rsa = rsa;
      this.aes = aes;
    }

    boolean isRsa() {
      return rsa != null;
    }
  }

  static final class SecretVersion {
    final String name;
    final String version;
    final String value;
    String contentType;
    final Attributes attributes = new Attributes();
    Map<String, String> tags = Map.of();

    SecretVersion(String name, String version, String value) {
      this.name = name;
      this.version = version;
      this.value = value;
    }
  }

  static void checkName(String name, String what) {
    if (!NAME.matcher(name).matches()) {
      throw VaultError.badParameter("The " + what + " name '" + name
          + "' is invalid: use 1-127 characters of 0-9, a-z, A-Z and '-'.");
    }
  }

  private String newVersion() {
    byte[] b = new byte[16];
    random.nextBytes(b);
    return HexFormat.of().formatHex(b);
  }

  // ---- keys ----

  KeyVersion createKey(String name, String kty, Integer size, List<String> ops, Boolean enabled, Long nbf, Long exp,
      Map<String, String> tags) {
    checkName(name, "key");
    int bits;
    KeyPair rsa = null;
    SecretKey aes = null;
    try {
      switch (kty) {
        case "RSA", "RSA-HSM" -> {
          bits = size == null ? 2048 : size;
          if (bits != 2048 && bits != 3072 && bits != 4096) {
            throw VaultError.badParameter("RSA key size must be 2048, 3072 or 4096.");
          }
          KeyPairGenerator kpg = KeyPairGenerator.getInstance("RSA");
          kpg.initialize(bits, random);
          rsa = kpg.generateKeyPair();
        }
        case "oct-HSM" -> {
          bits = size == null ? 256 : size;
          if (bits != 128 && bits != 192 && bits != 256) {
            throw VaultError.badParameter("oct-HSM key size must be 128, 192 or 256.");
          }
          KeyGenerator kg = KeyGenerator.getInstance("AES");
          kg.init(bits, random);
          aes = kg.generateKey();
        }
        default -> throw VaultError.badParameter("Key type '" + kty
            + "' is not supported by the Azure Key Vault fake (RSA, RSA-HSM, oct-HSM).");
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
    List<String> keyOps = ops == null ? new ArrayList<>(rsa != null ? List.of("encrypt", "decrypt", "sign", "verify",
        "wrapKey", "unwrapKey") : List.of("encrypt", "decrypt", "wrapKey", "unwrapKey")) : checkOps(ops);
    Named<KeyVersion> entry = keys.computeIfAbsent(lower(name), k -> new Named<>(name));
    KeyVersion v = new KeyVersion(entry.name, newVersion(), kty, bits, rsa, aes);
    v.ops = keyOps;
    stamp(v.attributes, enabled, nbf, exp, true);
    v.tags = tags == null ? Map.of() : Map.copyOf(tags);
    synchronized (entry) {
      entry.versions.add(v);
    }
    return v;
  }

  KeyVersion rotateKey(String name) {
    KeyVersion latest = key(name, "");
    return createKey(latest.name, latest.kty, latest.size, latest.ops, true, null, null, latest.tags);
  }

  /** A version of a key; {@code ""} names the newest. */
  KeyVersion key(String name, String version) {
    Named<KeyVersion> entry = keys.get(lower(name));
    if (entry == null) {
      throw VaultError.keyNotFound(name);
    }
    synchronized (entry) {
      if (entry.versions.isEmpty()) {
        throw VaultError.keyNotFound(name);
      }
      if (version.isEmpty()) {
        return entry.versions.get(entry.versions.size() - 1);
      }
      for (KeyVersion v : entry.versions) {
        if (v.version.equalsIgnoreCase(version)) {
          return v;
        }
      }
    }
    throw VaultError.keyNotFound(name + "/" + version);
  }

  KeyVersion updateKey(String name, String version, List<String> ops, Boolean enabled, Long nbf, Long exp,
      Map<String, String> tags) {
    KeyVersion v = key(name, version);
    synchronized (v) {
      // The SDK sends "key_ops":[] when the caller names no operations; that leaves them as they are.
      if (ops != null && !ops.isEmpty()) {
        v.ops = checkOps(ops);
      }
      if (tags != null) {
        v.tags = Map.copyOf(tags);
      }
      stamp(v.attributes, enabled, nbf, exp, false);
    }
    return v;
  }

  List<KeyVersion> keyVersions(String name) {
    Named<KeyVersion> entry = keys.get(lower(name));
    if (entry == null) {
      throw VaultError.keyNotFound(name);
    }
    synchronized (entry) {
      return List.copyOf(entry.versions);
    }
  }

  /** The newest version of every key. */
  List<KeyVersion> latestKeys() {
    List<KeyVersion> out = new ArrayList<>();
    for (Named<KeyVersion> entry : keys.values()) {
      synchronized (entry) {
        if (!entry.versions.isEmpty()) {
          out.add(entry.versions.get(entry.versions.size() - 1));
        }
      }
    }
    out.sort((a, b) -> a.name.compareToIgnoreCase(b.name));
    return out;
  }

  private static List<String> checkOps(List<String> ops) {
    for (String op : ops) {
      if (!KEY_OPS.contains(op)) {
        throw VaultError.badParameter("Unknown key operation '" + op + "'.");
      }
    }
    return List.copyOf(new LinkedHashSet<>(ops));
  }

  // ---- secrets ----

  SecretVersion setSecret(String name, String value, String contentType, Boolean enabled, Long nbf, Long exp,
      Map<String, String> tags) {
    checkName(name, "secret");
    if (value == null) {
      throw VaultError.badParameter("Property 'value' is required.");
    }
    if (value.length() > MAX_SECRET_CHARS) {
      throw VaultError.badParameter("The secret value exceeds the maximum size of " + MAX_SECRET_CHARS + " characters.");
    }
    Named<SecretVersion> entry = secrets.computeIfAbsent(lower(name), k -> new Named<>(name));
    SecretVersion v = new SecretVersion(entry.name, newVersion(), value);
    v.contentType = contentType;
    v.tags = tags == null ? Map.of() : Map.copyOf(tags);
    stamp(v.attributes, enabled, nbf, exp, true);
    synchronized (entry) {
      entry.versions.add(v);
    }
    return v;
  }

  SecretVersion secret(String name, String version) {
    Named<SecretVersion> entry = secrets.get(lower(name));
    if (entry == null) {
      throw VaultError.secretNotFound(name);
    }
    synchronized (entry) {
      if (entry.versions.isEmpty()) {
        throw VaultError.secretNotFound(name);
      }
      if (version.isEmpty()) {
        return entry.versions.get(entry.versions.size() - 1);
      }
      for (SecretVersion v : entry.versions) {
        if (v.version.equalsIgnoreCase(version)) {
          return v;
        }
      }
    }
    throw VaultError.secretNotFound(name + "/" + version);
  }

  SecretVersion updateSecret(String name, String version, String contentType, Boolean enabled, Long nbf, Long exp,
      Map<String, String> tags) {
    SecretVersion v = secret(name, version);
    synchronized (v) {
      if (contentType != null) {
        v.contentType = contentType;
      }
      if (tags != null) {
        v.tags = Map.copyOf(tags);
      }
      stamp(v.attributes, enabled, nbf, exp, false);
    }
    return v;
  }

  List<SecretVersion> secretVersions(String name) {
    Named<SecretVersion> entry = secrets.get(lower(name));
    if (entry == null) {
      throw VaultError.secretNotFound(name);
    }
    synchronized (entry) {
      return List.copyOf(entry.versions);
    }
  }

  List<SecretVersion> latestSecrets() {
    List<SecretVersion> out = new ArrayList<>();
    for (Named<SecretVersion> entry : secrets.values()) {
      synchronized (entry) {
        if (!entry.versions.isEmpty()) {
          out.add(entry.versions.get(entry.versions.size() - 1));
        }
      }
    }
    out.sort((a, b) -> a.name.compareToIgnoreCase(b.name));
    return out;
  }

  private void stamp(Attributes a, Boolean enabled, Long nbf, Long exp, boolean created) {
    long now = clock.instant().getEpochSecond();
    if (created) {
      a.created = now;
    }
    a.updated = now;
    if (enabled != null) {
      a.enabled = enabled;
    }
    if (nbf != null) {
      a.notBefore = nbf;
    }
    if (exp != null) {
      a.expires = exp;
    }
  }

  private static String lower(String name) {
    return name.toLowerCase(Locale.ROOT);
  }
}
