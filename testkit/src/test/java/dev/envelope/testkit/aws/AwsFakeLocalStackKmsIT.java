package dev.envelope.testkit.aws;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.testcontainers.containers.localstack.LocalStackContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.services.kms.KmsClient;

/** The same contract against LocalStack, so the fake is checked against a second implementation. Skips without Docker. */
@Testcontainers(disabledWithoutDocker = true)
class AwsFakeLocalStackKmsIT extends KmsContract {
  @Container
  static final LocalStackContainer LOCALSTACK = new LocalStackContainer(DockerImageName.parse("localstack/localstack:4.4"))
      .withServices(LocalStackContainer.Service.KMS);

  private static final Map<String, KmsClient> CLIENTS = new ConcurrentHashMap<>();

  @Override
  KmsClient kms(String region) {
    return CLIENTS.computeIfAbsent(region, r -> TestClients.kms(LOCALSTACK.getEndpoint(), r, 3));
  }

  @AfterAll
  static void closeClients() {
    CLIENTS.values().forEach(KmsClient::close);
    CLIENTS.clear();
  }
}
