package dev.envelope.core.internal.keyfile;

/** The rule for local key names (docs/keyfile.md §4): 1..128 characters of [A-Za-z0-9._-]. */
public final class KeyNames {
  public static final int MAX_LENGTH = 128;

  private KeyNames() {}

  public static boolean isValid(String name) {
    if (name == null || name.isEmpty() || name.length() > MAX_LENGTH) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      if (!isNameChar(name.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  static boolean isNameChar(int c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
        || c == '.' || c == '_' || c == '-';
  }

  /**
   * @throws IllegalArgumentException without echoing the name, which may hold anything a user
   *     typed
   */
  public static String check(String name) {
    if (!isValid(name)) {
      throw new IllegalArgumentException(
          "key name must be 1.." + MAX_LENGTH + " characters of A-Z, a-z, 0-9, '.', '_' or '-'");
    }
    return name;
  }
}
