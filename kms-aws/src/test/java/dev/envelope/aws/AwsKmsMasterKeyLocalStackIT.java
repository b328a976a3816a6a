package dev.envelope.aws;

import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.testcontainers.containers.localstack.LocalStackContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsClient;

/**
 * The {@link AwsKmsMasterKeyContract} against LocalStack's KMS. Skips where there is no Docker;
 * LocalStack keeps no call counts, so the count assertions are skipped there.
 */
@Testcontainers(disabledWithoutDocker = true)
class AwsKmsMasterKeyLocalStackIT extends AwsKmsMasterKeyContract {
  @Container
  static final LocalStackContainer LOCALSTACK = new LocalStackContainer(DockerImageName.parse("localstack/localstack:4.4"))
      .withServices(LocalStackContainer.Service.KMS);

  private static final Map<String, KmsClient> CLIENTS = new ConcurrentHashMap<>();

  @Override
  KmsClient client(String region) {
    return CLIENTS.computeIfAbsent(region, r -> KmsClient.builder().endpointOverride(LOCALSTACK.getEndpoint())
        .region(Region.of(r)).credentialsProvider(StaticCredentialsProvider.create(
            AwsBasicCredentials.create(LOCALSTACK.getAccessKey(), LOCALSTACK.getSecretKey())))
        .httpClientBuilder(UrlConnectionHttpClient.builder()).build());
  }

  @Override
  OptionalLong calls(String operation) {
    return OptionalLong.empty();
  }

  @Override
  void resetCalls() {}

  @AfterAll
  static void closeClients() {
    CLIENTS.values().forEach(KmsClient::close);
    CLIENTS.clear();
  }
}
