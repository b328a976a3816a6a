/**
 * Protocol fakes of the clouds' key and secret services on loopback, for tests and demos. Does
 * not depend on Envelope: usable on any test class path.
 */
module dev.envelope.testkit {
  requires jdk.httpserver;
  requires com.fasterxml.jackson.databind;

  exports dev.envelope.testkit;
  exports dev.envelope.testkit.aws;

  uses dev.envelope.testkit.FakeLauncher;

  provides dev.envelope.testkit.FakeLauncher with dev.envelope.testkit.aws.AwsFakeLauncher;
}
