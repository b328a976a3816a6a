/** Protocol-level fakes of the cloud services Envelope talks to, served on loopback. */
module dev.envelope.testkit {
  requires jdk.httpserver;
  requires com.fasterxml.jackson.databind;
  requires org.bouncycastle.provider;
  requires org.bouncycastle.pkix;

  exports dev.envelope.testkit.azure;
}
