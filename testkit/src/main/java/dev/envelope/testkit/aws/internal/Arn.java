package dev.envelope.testkit.aws.internal;

/** {@code arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE}. */
record Arn(String partition, String service, String region, String account, String resource) {

  /** The parts of {@code s}, or null if it is not an ARN. */
  static Arn parse(String s) {
    if (s == null || !s.startsWith("arn:")) {
      return null;
    }
    String[] p = s.split(":", 6);
    if (p.length != 6 || p[1].isEmpty() || p[2].isEmpty() || p[5].isEmpty()) {
      return null;
    }
    return new Arn(p[1], p[2], p[3], p[4], p[5]);
  }

  @Override
  public String toString() {
    return "arn:" + partition + ":" + service + ":" + region + ":" + account + ":" + resource;
  }
}
