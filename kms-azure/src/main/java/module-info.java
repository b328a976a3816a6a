/** Azure Key Vault master keys and the Key Vault secret store for Envelope. */
module dev.envelope.azure {
  requires transitive dev.envelope.core;
  requires transitive dev.envelope.secrets;
  requires transitive com.azure.core;
  requires transitive com.azure.security.keyvault.secrets;
  requires com.azure.security.keyvault.keys;
  requires com.azure.identity;
  requires com.azure.core.http.jdk.httpclient;
  requires java.net.http;
  requires reactor.core;
  requires static transitive org.jspecify;

  exports dev.envelope.azure;

  provides dev.envelope.core.MasterKeyResolver with dev.envelope.azure.internal.AzureKeyVaultResolver;
  provides dev.envelope.secrets.SecretStoreProvider with dev.envelope.azure.internal.AzureSecretStoreProvider;
}
