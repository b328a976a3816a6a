package dev.envelope.testkit.gcp;

import static dev.envelope.testkit.gcp.Rpc.invalidArgument;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fake's resource names and IAM: names are checked against the service's patterns (a malformed
 * one is INVALID_ARGUMENT, in the service's own wording) before the caller's permission on them
 * is, as the real services do. Thread-safe.
 */
final class Resources {
  /** The INVALID_ARGUMENT description for a name that is not a {@code what}. */
  @FunctionalInterface
  interface InvalidName {
    String message(String name, String what);
  }

  private final InvalidName invalidName;
  private final DenyList iam = new DenyList();

  Resources(InvalidName invalidName) {
    this.invalidName = invalidName;
  }

  /** {@code name} matched against {@code p}; INVALID_ARGUMENT if it does not match. */
  Matcher match(Pattern p, String name, String what) {
    Matcher m = p.matcher(name);
    if (!m.matches()) {
      throw invalidArgument(invalidName.message(name, what));
    }
    return m;
  }

  /** {@link #match}, then {@link #check} of {@code permission} on {@code name}. */
  Matcher authorize(Pattern p, String name, String what, String permission) {
    Matcher m = match(p, name, what);
    iam.check(name, permission);
    return m;
  }

  /** PERMISSION_DENIED if {@code permission} is denied on {@code resource} or a parent. */
  void check(String resource, String permission) {
    iam.check(resource, permission);
  }

  void deny(String resource, String permission) {
    iam.deny(Objects.requireNonNull(resource, "resource"), Objects.requireNonNull(permission, "permission"));
  }

  void allowAll() {
    iam.clear();
  }
}
