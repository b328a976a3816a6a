package dev.envelope.testkit.aws;

import org.junit.jupiter.api.AfterAll;
import org.testcontainers.containers.localstack.LocalStackContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;

/** The Secrets Manager contract against LocalStack. Skips without Docker. */
@Testcontainers(disabledWithoutDocker = true)
class AwsFakeLocalStackSecretsManagerIT extends SecretsManagerContract {
  @Container
  static final LocalStackContainer LOCALSTACK = new LocalStackContainer(DockerImageName.parse("localstack/localstack:4.4"))
      .withServices(LocalStackContainer.Service.SECRETSMANAGER);

  private static SecretsManagerClient client;

  @Override
  SecretsManagerClient sm() {
    if (client == null) {
      client = TestClients.secretsManager(LOCALSTACK.getEndpoint(), REGION, 3);
    }
    return client;
  }

  @AfterAll
  static void closeClient() {
    if (client != null) {
      client.close();
      client = null;
    }
  }
}
