/** Rotation-aware secrets: the {@code SecretStore} SPI, a caching client, a rotating JDBC DataSource. */
module dev.envelope.secrets {
  requires transitive dev.envelope.core;
  requires transitive java.sql;
  requires com.github.benmanes.caffeine;
  requires com.fasterxml.jackson.databind;
  requires static org.jspecify;

  exports dev.envelope.secrets;

  uses dev.envelope.secrets.SecretStoreProvider;

  provides dev.envelope.secrets.SecretStoreProvider with
      dev.envelope.secrets.internal.LocalStoreProviders.Environment,
      dev.envelope.secrets.internal.LocalStoreProviders.Directory;

  // Jackson binds JSON secrets to DbCredentials (and to callers' own types in their modules).
  opens dev.envelope.secrets to com.fasterxml.jackson.databind;
}
