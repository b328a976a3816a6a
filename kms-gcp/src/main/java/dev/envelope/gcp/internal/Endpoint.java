package dev.envelope.gcp.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * A {@code host:port} endpoint override. Decides whether a plaintext channel is acceptable, which
 * is only for loopback hosts, and does so without a DNS lookup: a name other than
 * {@code localhost} is never treated as loopback, whatever it resolves to.
 *
 * @param host host name or IP literal (IPv6 without brackets)
 * @param port 1..65535
 */
public record Endpoint(String host, int port) {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern HOST_NAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?");

  /**
   * Parses {@code host:port} or {@code [ipv6]:port}.
   *
   * @throws IllegalArgumentException if it is not one
   */
  public static Endpoint parse(String endpoint) {
    String host;
    String port;
    if (endpoint.startsWith("[")) {
      int close = endpoint.indexOf(']');
      if (close < 0 || close + 1 >= endpoint.length() || endpoint.charAt(close + 1) != ':') {
        throw bad();
      }
      host = endpoint.substring(1, close);
      port = endpoint.substring(close + 2);
      if (!host.contains(":") || !host.matches("[0-9A-Fa-f:.]+")) {
        throw bad();
      }
    } else {
      int colon = endpoint.lastIndexOf(':');
      if (colon <= 0 || endpoint.indexOf(':') != colon) {
        throw bad();
      }
      host = endpoint.substring(0, colon);
      port = endpoint.substring(colon + 1);
      if (!HOST_NAME.matcher(host).matches()) {
        throw bad();
      }
    }
    if (!port.matches("\\d{1,5}")) {
      throw bad();
    }
    int p = Integer.parseInt(port);
    if (p < 1 || p > 65535) {
      throw bad();
    }
    return new Endpoint(host, p);
  }

  private static IllegalArgumentException bad() {
    return new IllegalArgumentException("endpoint must be host:port or [ipv6]:port, e.g. 127.0.0.1:8443");
  }

  /** True for {@code localhost}, 127.0.0.0/8 and ::1. */
  public boolean isLoopback() {
    if (host.equalsIgnoreCase("localhost")) {
      return true;
    }
    if (IPV4.matcher(host).matches()) {
      String[] octets = host.split("\\.");
      for (String o : octets) {
        if (Integer.parseInt(o) > 255) {
          return false;
        }
      }
      return octets[0].equals("127") || Integer.parseInt(octets[0]) == 127;
    }
    if (host.contains(":") && (Character.digit(host.charAt(0), 16) >= 0 || host.charAt(0) == ':')) {
      try {
        // An IPv6 literal: getByName parses it and never looks it up.
        return InetAddress.getByName(host).isLoopbackAddress();
      } catch (UnknownHostException e) {
        return false;
      }
    }
    return false;
  }

  /** The form gRPC targets take. */
  public String target() {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  @Override
  public String toString() {
    return target();
  }
}
