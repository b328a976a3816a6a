package dev.envelope.rotation;

/** How encrypted bytes are stored in the column. */
public enum ValueEncoding {
  /** Raw bytes: BLOB, BYTEA, VARBINARY. */
  BINARY,
  /** Standard base64 with padding (RFC 4648 §4) in a text column. */
  BASE64,
  /** URL-safe base64 without padding (RFC 4648 §5) in a text column, as field values use. */
  BASE64_URL
}
