/** Protocol-level fakes of the cloud services Envelope talks to, served on loopback. */
module dev.envelope.testkit {
  requires transitive io.grpc;
  requires io.grpc.stub;
  requires io.grpc.protobuf;
  requires io.grpc.netty.shaded;
  requires com.google.protobuf;
  requires transitive proto.google.cloud.kms.v1;
  requires transitive proto.google.cloud.secretmanager.v1;
  requires jdk.httpserver;
  requires com.fasterxml.jackson.databind;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.pkix;

  exports dev.envelope.testkit.gcp;
  exports dev.envelope.testkit.azure;
}
