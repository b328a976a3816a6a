package dev.envelope.secrets.internal;

import java.util.Objects;

/** Validation shared by the stores. */
public final class Names {
  /** Longer than any cloud allows (AWS 512, GCP 255, Azure 127). */
  public static final int MAX_NAME_LENGTH = 512;

  private Names() {}

  public static String check(String name) {
    Objects.requireNonNull(name, "name");
    if (name.isBlank() || name.length() > MAX_NAME_LENGTH) {
      throw new IllegalArgumentException("secret name must be 1 to " + MAX_NAME_LENGTH
          + " characters, not blank");
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isISOControl(name.charAt(i))) {
        throw new IllegalArgumentException("secret name must not contain control characters");
      }
    }
    return name;
  }
}
