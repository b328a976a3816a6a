/** Envelope's public API: envelope encryption, local master keys, data-key cache. */
module dev.envelope.core {
  requires com.github.benmanes.caffeine;
  requires org.bouncycastle.provider;
  requires static org.jspecify;
  requires static micrometer.core;
  requires transitive java.sql;

  exports dev.envelope.core;

  uses dev.envelope.core.MasterKeyResolver;

  provides dev.envelope.core.MasterKeyResolver with dev.envelope.core.internal.keyfile.LocalKeyResolver;
}
