package dev.envelope.testkit.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.testkit.FaultInjector;
import dev.envelope.testkit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.InternalServiceErrorException;
import software.amazon.awssdk.services.secretsmanager.model.InvalidParameterException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;

/** The Secrets Manager half of {@link AwsFake}, through the real SDK client. */
class AwsFakeSecretsManagerTest extends SecretsManagerContract {
  private final MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
  private final AwsFake fake = AwsFake.builder().region(REGION).clock(clock).start();
  private final SecretsManagerClient client = TestClients.secretsManager(fake.endpoint(), REGION, 3);

  @Override
  SecretsManagerClient sm() {
    return client;
  }

  @AfterEach
  void close() {
    client.close();
    fake.close();
  }

  @Test
  void updateSecretVersionStage_removeCurrent_invalidParameter() {
    String name = name();
    String v1 = sm().createSecret(b -> b.name(name).secretString("one")).versionId();

    assertThatThrownBy(() -> sm().updateSecretVersionStage(b -> b.secretId(name).versionStage("AWSCURRENT")
        .removeFromVersionId(v1))).isInstanceOf(InvalidParameterException.class);
  }

  @Test
  void deleteSecret_recoveryWindowPassed_secretIsGone() {
    String name = name();
    sm().createSecret(b -> b.name(name).secretString("x"));
    sm().deleteSecret(b -> b.secretId(name).recoveryWindowInDays(7L));

    clock.advance(Duration.ofDays(7));

    assertThatThrownBy(() -> sm().describeSecret(b -> b.secretId(name))).isInstanceOf(ResourceNotFoundException.class);
    sm().createSecret(b -> b.name(name).secretString("again"));
    assertThat(value(name, "AWSCURRENT")).isEqualTo("again");
  }

  @Test
  void putSecretValue_manyTimes_keepsAtMost100DeprecatedVersions() {
    String name = name();
    sm().createSecret(b -> b.name(name).secretString("v0"));
    for (int i = 1; i <= 103; i++) {
      String v = "v" + i;
      sm().putSecretValue(b -> b.secretId(name).secretString(v));
    }

    assertThat(stagesOf(name, true)).hasSize(102);
    assertThat(stagesOf(name, false)).hasSize(2);
  }

  @Test
  void throttle_getSecretValue_sdkRetriesAndSucceeds() {
    String name = name();
    sm().createSecret(b -> b.name(name).secretString("x"));
    fake.faults().throttle("GetSecretValue", 2);

    assertThat(value(name, "AWSCURRENT")).isEqualTo("x");
    assertThat(fake.calls().count("GetSecretValue")).isEqualTo(3);
  }

  @Test
  void serverError_always_internalServiceError500() {
    String name = name();
    sm().createSecret(b -> b.name(name).secretString("x"));
    fake.faults().serverError("GetSecretValue", FaultInjector.ALWAYS);

    assertThatThrownBy(() -> value(name, "AWSCURRENT"))
        .isInstanceOfSatisfying(InternalServiceErrorException.class, e -> assertThat(e.statusCode()).isEqualTo(500));
  }

  @Test
  void secrets_areKeptPerRegion() {
    String name = name();
    sm().createSecret(b -> b.name(name).secretString("x"));
    try (SecretsManagerClient west = TestClients.secretsManager(fake.endpoint(), "us-west-2", 1)) {
      assertThatThrownBy(() -> west.getSecretValue(b -> b.secretId(name))).isInstanceOf(ResourceNotFoundException.class);
    }
  }

  @Test
  void directHelpers_createAndPutWithStages() {
    String arn = fake.createSecret(REGION, "direct/db", "one");
    String pending = fake.putSecretValue(REGION, "direct/db", "two", "AWSPENDING");

    assertThat(arn).startsWith("arn:aws:secretsmanager:" + REGION + ":" + AwsFake.DEFAULT_ACCOUNT + ":secret:direct/db-");
    assertThat(sm().getSecretValue(b -> b.secretId("direct/db").versionStage("AWSPENDING")).versionId()).isEqualTo(pending);
    assertThat(value("direct/db", "AWSCURRENT")).isEqualTo("one");
  }
}
