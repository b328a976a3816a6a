package dev.envelope.rotation;

/** Why a row could not be migrated. Categories only: a report never carries a value. */
public enum FailureReason {
  /** The value is altered, truncated, not in the expected format, or bound to another context. */
  INVALID_CIPHERTEXT,
  /** None of the allowed keys can decrypt the value (unknown key, destroyed data key). */
  KEY_UNAVAILABLE,
  /** A text column held something that is not base64. */
  INVALID_ENCODING,
  /** The row context could not be built (a context column is NULL, or the function threw). */
  CONTEXT,
  /** The application kept changing the row; every compare-and-set attempt lost. */
  CONFLICT
}
