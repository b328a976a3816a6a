package dev.envelope.azure.internal;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A parsed Key Vault key identifier, {@code https://VAULT/keys/NAME[/VERSION]}: the vault URL
 * (scheme, host and port only), the key name, and the version if one was given.
 *
 * @param vaultUrl {@code https://host[:port]}, host in lower case
 * @param name the key name
 * @param version the pinned version, or null for "the current version"
 */
public record KeyVaultKeyId(String vaultUrl, String name, @Nullable String version) {
  /** Key Vault object names: 1-127 letters, digits and dashes. */
  static final Pattern NAME = Pattern.compile("[0-9a-zA-Z-]{1,127}");
  /** Key Vault versions are 32 hex digits; anything in this charset and bound is passed on. */
  public static final Pattern VERSION = Pattern.compile("[0-9a-zA-Z]{1,64}");
  private static final Pattern IPV4_LOOPBACK = Pattern.compile("127\\.(\\d{1,3})\\.(\\d{1,3})\\.(\\d{1,3})");

  /**
   * @throws IllegalArgumentException unless {@code keyId} is an https Key Vault key URL without
   *     query, fragment or user info
   */
  public static KeyVaultKeyId parse(String keyId) {
    URI uri;
    try {
      uri = new URI(keyId);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("Azure key id is not a URL: expected https://VAULT/keys/NAME[/VERSION]");
    }
    if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null || uri.getRawUserInfo() != null
        || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException("Azure key id must be an https URL without user info, query or fragment:"
          + " https://VAULT/keys/NAME[/VERSION]");
    }
    String path = uri.getRawPath();
    String[] seg = path == null ? new String[0] : path.split("/", -1);
    // "", "keys", NAME [, VERSION] — a trailing slash is tolerated.
    int n = seg.length;
    if (n > 0 && seg[n - 1].isEmpty() && n > 3) {
      n--;
    }
    if ((n != 3 && n != 4) || !seg[0].isEmpty() || !seg[1].equals("keys") || !NAME.matcher(seg[2]).matches()
        || (n == 4 && !VERSION.matcher(seg[3]).matches())) {
      throw new IllegalArgumentException("Azure key id must look like https://VAULT/keys/NAME[/VERSION]"
          + " (name: 1-127 letters, digits, '-'; version: letters and digits)");
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    String vault = "https://" + host + (uri.getPort() == -1 || uri.getPort() == 443 ? "" : ":" + uri.getPort());
    return new KeyVaultKeyId(vault, seg[2], n == 4 ? seg[3] : null);
  }

  /** {@code https://VAULT/keys/NAME}: the id without a version, as recorded in wrapped keys. */
  public String unversioned() {
    return vaultUrl + "/keys/" + name;
  }

  public String withVersion(String v) {
    return unversioned() + "/" + v;
  }

  /** Whether the vault is on this machine: {@code localhost}, 127.0.0.0/8 or {@code ::1}. */
  public boolean isLoopback() {
    return isLoopbackHost(URI.create(vaultUrl).getHost());
  }

  /** Loopback by name or literal only: no DNS lookup, so a name cannot be made to look local. */
  public static boolean isLoopbackHost(@Nullable String host) {
    if (host == null) {
      return false;
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (h.equals("localhost") || h.equals("[::1]") || h.equals("::1") || h.equals("[0:0:0:0:0:0:0:1]")) {
      return true;
    }
    var m = IPV4_LOOPBACK.matcher(h);
    if (!m.matches()) {
      return false;
    }
    for (int i = 1; i <= 3; i++) {
      if (Integer.parseInt(m.group(i)) > 255) {
        return false;
      }
    }
    return true;
  }
}
