package dev.envelope.testkit.azure;

import dev.envelope.testkit.FakeLauncher;
import dev.envelope.testkit.internal.FakeSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code --azure}: the Key Vault fake (HTTPS on 127.0.0.1 with a self-signed certificate) with a
 * demo RSA key and a demo secret. The certificate is written to a temporary PEM file, deleted on
 * close, so that clients (and the envelope CLI's {@code trust} option) can trust it.
 */
public final class AzureFakeLauncher implements FakeLauncher {
  public static final String DEMO_KEY = "envelope-demo";
  public static final String DEMO_SECRET = "envelope-demo-db";

  @Override
  public String name() {
    return "azure";
  }

  @Override
  public String description() {
    return "Azure Key Vault keys + secrets (HTTPS, self-signed), demo key " + DEMO_KEY + " and secret " + DEMO_SECRET;
  }

  @Override
  public Map<String, String> options() {
    return FakeSupport.portOption();
  }

  @Override
  public Running start(Map<String, String> options) throws IOException {
    AzureKeyVaultFake.Builder b = AzureKeyVaultFake.builder();
    FakeSupport.applyPortOnly(name(), options, b::port);
    AzureKeyVaultFake fake = b.start();
    Path pem = null;
    try {
      pem = Files.createTempFile("envelope-testkit-azure-", ".pem");
      fake.writeCertificatePem(pem);
      fake.createKey(DEMO_KEY);
      fake.setSecret(DEMO_SECRET, "{\"engine\":\"postgres\",\"host\":\"127.0.0.1\",\"port\":5432,"
          + "\"username\":\"demo\",\"password\":\"demo-password-1\",\"dbname\":\"test\"}");
      return new Started(fake, pem);
    } catch (IOException | RuntimeException e) {
      fake.close();
      if (pem != null) {
        Files.deleteIfExists(pem);
      }
      throw e;
    }
  }

  private static final class Started implements Running {
    private final AzureKeyVaultFake fake;
    private final Path pem;

    Started(AzureKeyVaultFake fake, Path pem) {
      this.fake = fake;
      this.pem = pem;
    }

    @Override
    public List<String> describe() {
      List<String> lines = new ArrayList<>();
      lines.add("Azure Key Vault fake on " + fake.vaultUrl() + " (any bearer token is accepted)");
      lines.add("  demo key:    " + fake.keyId(DEMO_KEY));
      lines.add("  demo secret: " + DEMO_SECRET);
      lines.add("  certificate: " + pem + " (PEM; trust it, e.g. as the envelope CLI's trust option)");
      lines.add("  try:         envelope encrypt --key azure-kv:" + fake.keyId(DEMO_KEY) + " --key-option azure-kv.trust="
          + pem + " --in FILE --out FILE.env");
      lines.add("               envelope secrets versions " + DEMO_SECRET + " --store azure-kv:" + fake.vaultUrl()
          + " --store-option trust=" + pem);
      return lines;
    }

    @Override
    public Map<String, String> environment() {
      return Map.of();
    }

    @Override
    public void close() {
      fake.close();
      try {
        Files.deleteIfExists(pem);
      } catch (IOException ignored) {
        // A temporary file; the OS cleans it up eventually.
      }
    }
  }
}
