package dev.envelope.testkit.gcp;

import io.grpc.Status;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fakes' IAM: everything is allowed except what a test denied. A denial on a resource also
 * covers its children, as an IAM binding on a key ring covers its keys.
 */
final class DenyList {
  private final Set<String> denied = ConcurrentHashMap.newKeySet();

  void deny(String resource, String permission) {
    denied.add(permission + " " + resource);
  }

  void clear() {
    denied.clear();
  }

  /** Throws PERMISSION_DENIED with the real services' wording when {@code permission} is denied. */
  void check(String resource, String permission) {
    if (denied.isEmpty()) {
      return;
    }
    for (String prefix = resource; prefix != null; prefix = parent(prefix)) {
      if (denied.contains(permission + " " + prefix) || denied.contains("* " + prefix)) {
        throw Status.PERMISSION_DENIED
            .withDescription("Permission '" + permission + "' denied on resource '" + resource + "' (or it may not exist).")
            .asRuntimeException();
      }
    }
  }

  private static String parent(String resource) {
    int slash = resource.lastIndexOf('/');
    return slash <= 0 ? null : resource.substring(0, slash);
  }
}
