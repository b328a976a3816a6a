package dev.envelope.testkit.aws;

import dev.envelope.testkit.FakeLauncher;
import dev.envelope.testkit.internal.FakeSupport;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code --aws}: the AWS KMS + Secrets Manager fake, with a demo key ({@code alias/envelope-demo})
 * and a demo secret ({@code envelope/demo-db}) already created.
 */
public final class AwsFakeLauncher implements FakeLauncher {
  public static final String DEMO_ALIAS = "alias/envelope-demo";
  public static final String DEMO_SECRET = "envelope/demo-db";

  @Override
  public String name() {
    return "aws";
  }

  @Override
  public String description() {
    return "AWS KMS + Secrets Manager (JSON 1.1 over HTTP), demo key " + DEMO_ALIAS + " and secret " + DEMO_SECRET;
  }

  @Override
  public Map<String, String> options() {
    Map<String, String> o = FakeSupport.portOption();
    o.put("region", "default region (default " + AwsFake.DEFAULT_REGION + ")");
    o.put("account", "12-digit account id in ARNs (default " + AwsFake.DEFAULT_ACCOUNT + ")");
    return o;
  }

  @Override
  public Running start(Map<String, String> options) {
    AwsFake.Builder b = AwsFake.builder();
    options.forEach((k, v) -> {
      switch (k) {
        case "port" -> b.port(FakeSupport.parsePort(name(), v));
        case "region" -> b.region(v);
        case "account" -> b.account(v);
        default -> throw new IllegalArgumentException("unknown option --aws-" + k);
      }
    });
    AwsFake fake = b.start();
    try {
      String keyArn = fake.createKey(fake.region());
      fake.createAlias(DEMO_ALIAS, keyArn);
      String secretArn = fake.createSecret(fake.region(), DEMO_SECRET,
          "{\"engine\":\"postgres\",\"host\":\"127.0.0.1\",\"port\":5432,\"username\":\"demo\","
              + "\"password\":\"demo-password-1\",\"dbname\":\"test\"}");
      return new Started(fake, keyArn, secretArn);
    } catch (RuntimeException e) {
      fake.close();
      throw e;
    }
  }

  private static final class Started implements Running {
    private final AwsFake fake;
    private final String keyArn;
    private final String secretArn;

    Started(AwsFake fake, String keyArn, String secretArn) {
      this.fake = fake;
      this.keyArn = keyArn;
      this.secretArn = secretArn;
    }

    @Override
    public List<String> describe() {
      List<String> lines = new ArrayList<>();
      lines.add("AWS KMS + Secrets Manager fake on " + fake.endpoint() + " (region " + fake.region() + ", account "
          + fake.account() + ")");
      lines.add("  demo key:    " + keyArn + " (" + DEMO_ALIAS + ")");
      lines.add("  demo secret: " + secretArn);
      lines.add("  try:         envelope encrypt --key aws-kms:" + DEMO_ALIAS + " --in FILE --out FILE.env");
      lines.add("               envelope secrets versions " + DEMO_SECRET + " --store aws-sm");
      return lines;
    }

    @Override
    public Map<String, String> environment() {
      return fake.environment();
    }

    @Override
    public void close() {
      fake.close();
    }
  }
}
