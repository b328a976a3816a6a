package dev.envelope.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.AccessToken;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.cloud.kms.v1.KeyManagementServiceClient;
import com.google.cloud.kms.v1.KeyManagementServiceSettings;
import com.google.cloud.secretmanager.v1.SecretManagerServiceClient;
import com.google.cloud.secretmanager.v1.SecretManagerServiceSettings;
import com.google.protobuf.ByteString;
import dev.envelope.testkit.azure.AzureFakeLauncher;
import dev.envelope.testkit.gcp.GcpFakeLauncher;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.OffsetDateTime;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import reactor.core.publisher.Mono;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

class TestkitTest {
  @Test
  void start_aws_printsEndpointAndEnvironment_demoKeyAndSecretWork() {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (Testkit.Started started = Testkit.start(List.of("--aws", "--aws-region=eu-west-1"),
        new PrintStream(buffer, true, StandardCharsets.UTF_8))) {
      String out = buffer.toString(StandardCharsets.UTF_8);
      assertThat(out).contains("export AWS_REGION=eu-west-1", "export AWS_ACCESS_KEY_ID=", "export AWS_SECRET_ACCESS_KEY=",
          "alias/envelope-demo", "envelope/demo-db");
      Matcher m = Pattern.compile("export AWS_ENDPOINT_URL_KMS=(\\S+)").matcher(out);
      assertThat(m.find()).isTrue();
      URI endpoint = URI.create(m.group(1));
      assertThat(out).contains("export AWS_ENDPOINT_URL_SECRETS_MANAGER=" + endpoint);
      assertThat(endpoint.getHost()).isEqualTo("127.0.0.1");

      StaticCredentialsProvider creds = StaticCredentialsProvider.create(AwsBasicCredentials.create("a", "b"));
      try (KmsClient kms = KmsClient.builder().endpointOverride(endpoint).region(Region.EU_WEST_1)
              .credentialsProvider(creds).httpClientBuilder(UrlConnectionHttpClient.builder()).build();
          SecretsManagerClient sm = SecretsManagerClient.builder().endpointOverride(endpoint).region(Region.EU_WEST_1)
              .credentialsProvider(creds).httpClientBuilder(UrlConnectionHttpClient.builder()).build()) {
        assertThat(kms.generateDataKey(b -> b.keyId("alias/envelope-demo").numberOfBytes(32)).keyId())
            .startsWith("arn:aws:kms:eu-west-1:");
        assertThat(sm.getSecretValue(b -> b.secretId("envelope/demo-db")).secretString()).contains("\"username\"");
      }
      assertThat(started.fakes()).hasSize(1);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void start_noSelection_startsAwsGcpAndAzure_printedSettingsWork() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    Path pem;
    try (Testkit.Started started = Testkit.start(List.of(), new PrintStream(buffer, true, StandardCharsets.UTF_8))) {
      String out = buffer.toString(StandardCharsets.UTF_8);
      assertThat(started.fakes()).hasSize(3);
      assertThat(out).contains("AWS KMS + Secrets Manager fake", "Google Cloud KMS + Secret Manager fake",
          "Azure Key Vault fake", "export GOOGLE_CLOUD_PROJECT=" + GcpFakeLauncher.DEMO_PROJECT);

      String gcpEndpoint = group(out, "--endpoint gcp-kms=(\\S+)");
      assertThat(out).contains("--endpoint gcp-sm=" + gcpEndpoint);
      InstantiatingGrpcChannelProvider channel = InstantiatingGrpcChannelProvider.newBuilder()
          .setEndpoint(gcpEndpoint).setChannelConfigurator(b -> b.usePlaintext()).build();
      try (KeyManagementServiceClient kms = KeyManagementServiceClient.create(KeyManagementServiceSettings.newBuilder()
              .setEndpoint(gcpEndpoint).setCredentialsProvider(NoCredentialsProvider.create())
              .setTransportChannelProvider(channel).build());
          SecretManagerServiceClient sm = SecretManagerServiceClient.create(SecretManagerServiceSettings.newBuilder()
              .setEndpoint(gcpEndpoint).setCredentialsProvider(NoCredentialsProvider.create())
              .setTransportChannelProvider(channel).build())) {
        assertThat(kms.encrypt(GcpFakeLauncher.DEMO_KEY, ByteString.copyFromUtf8("x")).getCiphertext().size())
            .isPositive();
        assertThat(sm.accessSecretVersion(GcpFakeLauncher.DEMO_SECRET + "/versions/latest").getPayload().getData()
            .toStringUtf8()).contains("\"username\"");
      }

      pem = Path.of(group(out, "--key-option azure-kv.trust=(\\S+)"));
      String vaultUrl = group(out, "--store azure-kv:(\\S+)");
      assertThat(out).contains("--key-option azure-kv.trust=" + pem, "azure-kv:" + vaultUrl + "/keys/"
          + AzureFakeLauncher.DEMO_KEY, "--store-option trust=" + pem);
      SecretClient azure = new SecretClientBuilder().vaultUrl(vaultUrl)
          .credential(r -> Mono.just(new AccessToken("t", OffsetDateTime.now().plusHours(1))))
          .httpClient(new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(trusting(pem))).build())
          .disableChallengeResourceVerification().buildClient();
      assertThat(azure.getSecret(AzureFakeLauncher.DEMO_SECRET).getValue()).contains("\"username\"");
    }
    assertThat(pem).doesNotExist();
  }

  private static String group(String out, String regex) {
    Matcher m = Pattern.compile(regex).matcher(out);
    assertThat(m.find()).as("output matches %s:%n%s", regex, out).isTrue();
    return m.group(1);
  }

  /** A TLS context trusting only the certificates in a PEM file, as a client given that file would. */
  private static SSLContext trusting(Path pem) throws Exception {
    KeyStore store = KeyStore.getInstance("PKCS12");
    store.load(null, null);
    try (InputStream in = Files.newInputStream(pem)) {
      int i = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("c" + i++, c);
      }
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  @Test
  void start_gcpAndAzureOptions_badPort_illegalArgument() {
    PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Testkit.start(List.of("--gcp", "--gcp-port=x"), sink))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Testkit.start(List.of("--azure", "--azure-port=-1"), sink))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Testkit.start(List.of("--azure", "--azure-region=x"), sink))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void start_help_printsUsageAndStartsNothing() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (Testkit.Started started = Testkit.start(List.of("--help"), new PrintStream(buffer, true, StandardCharsets.UTF_8))) {
      assertThat(started.fakes()).isEmpty();
    }
    assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("--aws", "--aws-port=VALUE", "--gcp", "--gcp-port=VALUE",
        "--azure", "--azure-port=VALUE");
  }

  @Test
  void start_unknownFlagsOrOptions_illegalArgument() {
    PrintStream sink = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Testkit.start(List.of("--nope"), sink)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Testkit.start(List.of("--aws-colour=red"), sink)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Testkit.start(List.of("--aws", "--aws-port"), sink)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Testkit.start(List.of("--aws", "--aws-port=x"), sink)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Testkit.start(List.of("--aws", "--aws-region=Mars"), sink))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
