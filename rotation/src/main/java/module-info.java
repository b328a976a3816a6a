/** Rewrap and re-encrypt jobs over JDBC: resumable, throttled, never overwriting a concurrent write. */
module dev.envelope.rotation {
  requires transitive dev.envelope.core;
  requires transitive java.sql;

  exports dev.envelope.rotation;
}
