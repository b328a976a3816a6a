/** JMH benchmarks of Envelope beside its peers; run from the shaded jar on the class path. */
module dev.envelope.benchmarks {
  requires dev.envelope.core;
  requires jmh.core;
  requires com.google.crypto.tink;
  requires aws.encryption.sdk.java;
  requires java.management;
  requires jdk.management;
  requires com.google.gson;

  // JMH's generated harness and its runner reach the benchmark state reflectively.
  opens dev.envelope.benchmarks;
  opens dev.envelope.benchmarks.jmh_generated;
}
