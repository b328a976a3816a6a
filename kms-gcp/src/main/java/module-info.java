/**
 * Google Cloud KMS master keys and the Secret Manager store for Envelope.
 *
 * <p>Google's client jars are not modular and split their packages between the client jar and
 * the proto jar; the build patches the protos into {@code google.cloud.kms} and
 * {@code google.cloud.secretmanager} to compile this descriptor. At run time use the class path, as Google's libraries require.
 */
module dev.envelope.gcp {
  requires transitive dev.envelope.core;
  requires transitive dev.envelope.secrets;
  requires transitive google.cloud.kms;
  requires transitive google.cloud.secretmanager;
  requires com.google.protobuf;
  requires gax;
  requires gax.grpc;
  requires com.google.api.apicommon;
  requires io.grpc;
  requires io.grpc.netty.shaded;
  requires static org.jspecify;

  exports dev.envelope.gcp;

  provides dev.envelope.core.MasterKeyResolver with dev.envelope.gcp.internal.GcpKmsResolver;
  provides dev.envelope.secrets.SecretStoreProvider with dev.envelope.gcp.internal.GcpSecretStoreProvider;
}
