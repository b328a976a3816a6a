package dev.envelope.testkit.aws;

import java.net.URI;
import java.time.Duration;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.client.config.ClientOverrideConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** Real SDK clients pointed at a fake or LocalStack. */
final class TestClients {
  private TestClients() {}

  static KmsClient kms(URI endpoint, String region, int maxAttempts) {
    return KmsClient.builder().endpointOverride(endpoint).region(Region.of(region))
        .credentialsProvider(credentials())
        .httpClientBuilder(UrlConnectionHttpClient.builder().socketTimeout(Duration.ofSeconds(10)))
        .overrideConfiguration(config(maxAttempts)).build();
  }

  static SecretsManagerClient secretsManager(URI endpoint, String region, int maxAttempts) {
    return SecretsManagerClient.builder().endpointOverride(endpoint).region(Region.of(region))
        .credentialsProvider(credentials())
        .httpClientBuilder(UrlConnectionHttpClient.builder().socketTimeout(Duration.ofSeconds(10)))
        .overrideConfiguration(config(maxAttempts)).build();
  }

  private static ClientOverrideConfiguration config(int maxAttempts) {
    return ClientOverrideConfiguration.builder()
        .retryStrategy(AwsRetryStrategy.standardRetryStrategy().toBuilder().maxAttempts(maxAttempts).build())
        .build();
  }

  private static StaticCredentialsProvider credentials() {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(AwsFake.ACCESS_KEY_ID, AwsFake.SECRET_ACCESS_KEY));
  }
}
