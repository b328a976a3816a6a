/** Protocol-level fakes of the cloud services Envelope talks to, served on loopback. */
module dev.envelope.testkit {
  requires transitive io.grpc;
  requires io.grpc.stub;
  requires io.grpc.protobuf;
  requires io.grpc.netty.shaded;
  requires com.google.protobuf;
  requires transitive proto.google.cloud.kms.v1;
  requires transitive proto.google.cloud.secretmanager.v1;

  exports dev.envelope.testkit.gcp;
}
