package dev.envelope.testkit.gcp;

import dev.envelope.testkit.FakeLauncher;
import dev.envelope.testkit.internal.FakeSupport;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code --gcp}: the Cloud KMS + Secret Manager fake (gRPC, plaintext on 127.0.0.1) with a demo
 * key and a demo secret in project {@value #DEMO_PROJECT}.
 */
public final class GcpFakeLauncher implements FakeLauncher {
  public static final String DEMO_PROJECT = "envelope-demo";
  public static final String DEMO_KEY = "projects/" + DEMO_PROJECT + "/locations/global/keyRings/envelope/cryptoKeys/demo";
  public static final String DEMO_SECRET_ID = "demo-db";
  public static final String DEMO_SECRET = "projects/" + DEMO_PROJECT + "/secrets/" + DEMO_SECRET_ID;

  @Override
  public String name() {
    return "gcp";
  }

  @Override
  public String description() {
    return "Google Cloud KMS + Secret Manager (gRPC), demo key " + DEMO_KEY + " and secret " + DEMO_SECRET;
  }

  @Override
  public Map<String, String> options() {
    return FakeSupport.portOption();
  }

  @Override
  public Running start(Map<String, String> options) {
    GcpFakes.Builder b = GcpFakes.builder();
    FakeSupport.applyPortOnly(name(), options, b::port);
    GcpFakes fakes = b.start();
    try {
      fakes.kms().createKey(DEMO_KEY);
      fakes.secretManager().createSecret(DEMO_SECRET);
      fakes.secretManager().addVersion(DEMO_SECRET, ("{\"engine\":\"postgres\",\"host\":\"127.0.0.1\",\"port\":5432,"
          + "\"username\":\"demo\",\"password\":\"demo-password-1\",\"dbname\":\"test\"}").getBytes(StandardCharsets.UTF_8));
      return new Started(fakes);
    } catch (RuntimeException e) {
      fakes.close();
      throw e;
    }
  }

  private static final class Started implements Running {
    private final GcpFakes fakes;

    Started(GcpFakes fakes) {
      this.fakes = fakes;
    }

    @Override
    public List<String> describe() {
      String endpoint = fakes.endpoint();
      List<String> lines = new ArrayList<>();
      lines.add("Google Cloud KMS + Secret Manager fake on " + endpoint + " (gRPC, plaintext, no credentials needed)");
      lines.add("  demo key:    " + DEMO_KEY);
      lines.add("  demo secret: " + DEMO_SECRET);
      lines.add("  clients:     set the endpoint to " + endpoint + " with a plaintext channel and no credentials");
      lines.add("  try:         envelope encrypt --key gcp-kms:" + DEMO_KEY + " --endpoint gcp-kms=" + endpoint
          + " --in FILE --out FILE.env");
      lines.add("               envelope secrets versions " + DEMO_SECRET_ID + " --store gcp-sm:" + DEMO_PROJECT
          + " --endpoint gcp-sm=" + endpoint);
      return lines;
    }

    @Override
    public Map<String, String> environment() {
      return Map.of("GOOGLE_CLOUD_PROJECT", DEMO_PROJECT);
    }

    @Override
    public void close() {
      fakes.close();
    }
  }
}
