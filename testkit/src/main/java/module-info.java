/**
 * Protocol fakes of the clouds' key and secret services on loopback, for tests and demos. Does
 * not depend on Envelope: usable on any test class path.
 */
module dev.envelope.testkit {
  requires jdk.httpserver;
  requires transitive java.sql;
  requires com.fasterxml.jackson.databind;
  requires transitive io.grpc;
  requires io.grpc.stub;
  requires io.grpc.protobuf;
  requires io.grpc.netty.shaded;
  requires com.google.protobuf;
  requires transitive proto.google.cloud.kms.v1;
  requires transitive proto.google.cloud.secretmanager.v1;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.pkix;

  exports dev.envelope.testkit;
  exports dev.envelope.testkit.aws;
  exports dev.envelope.testkit.gcp;
  exports dev.envelope.testkit.azure;
  exports dev.envelope.testkit.jdbc;

  uses dev.envelope.testkit.FakeLauncher;

  provides dev.envelope.testkit.FakeLauncher with dev.envelope.testkit.aws.AwsFakeLauncher,
      dev.envelope.testkit.gcp.GcpFakeLauncher, dev.envelope.testkit.azure.AzureFakeLauncher;
}
