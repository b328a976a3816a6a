/**
 * AWS KMS master keys for Envelope. The AWS SDK jars are automatic modules; the public API
 * exposes {@code KmsClient} and {@code AwsCredentialsProvider}, hence the transitive requires.
 */
module dev.envelope.aws {
  requires transitive dev.envelope.core;
  requires transitive dev.envelope.secrets;
  requires transitive software.amazon.awssdk.services.kms;
  requires transitive software.amazon.awssdk.services.secretsmanager;
  requires transitive software.amazon.awssdk.auth;
  requires software.amazon.awssdk.core;
  requires software.amazon.awssdk.awscore;
  requires software.amazon.awssdk.regions;
  requires software.amazon.awssdk.http.urlconnection;
  requires software.amazon.awssdk.http.nio.netty;
  requires software.amazon.awssdk.http;
  requires software.amazon.awssdk.retries;
  requires software.amazon.awssdk.retries.api;
  requires software.amazon.awssdk.identity.spi;
  requires static org.jspecify;

  exports dev.envelope.aws;

  provides dev.envelope.core.MasterKeyResolver with dev.envelope.aws.internal.AwsKmsResolver;
  provides dev.envelope.secrets.SecretStoreProvider with dev.envelope.aws.internal.AwsSecretStoreProvider;
}
