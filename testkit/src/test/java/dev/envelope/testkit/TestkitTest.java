package dev.envelope.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
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
  void start_help_printsUsageAndStartsNothing() throws Exception {
    ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    try (Testkit.Started started = Testkit.start(List.of("--help"), new PrintStream(buffer, true, StandardCharsets.UTF_8))) {
      assertThat(started.fakes()).isEmpty();
    }
    assertThat(buffer.toString(StandardCharsets.UTF_8)).contains("--aws", "--aws-port=VALUE");
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
