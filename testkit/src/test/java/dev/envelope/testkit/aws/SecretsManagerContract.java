package dev.envelope.testkit.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.services.secretsmanager.SecretsManagerClient;
import software.amazon.awssdk.services.secretsmanager.model.CreateSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.DescribeSecretResponse;
import software.amazon.awssdk.services.secretsmanager.model.GetSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.InvalidParameterException;
import software.amazon.awssdk.services.secretsmanager.model.InvalidRequestException;
import software.amazon.awssdk.services.secretsmanager.model.ListSecretVersionIdsResponse;
import software.amazon.awssdk.services.secretsmanager.model.PutSecretValueResponse;
import software.amazon.awssdk.services.secretsmanager.model.ResourceExistsException;
import software.amazon.awssdk.services.secretsmanager.model.ResourceNotFoundException;
import software.amazon.awssdk.services.secretsmanager.model.SecretVersionsListEntry;

/**
 * What the Secrets Manager fake shares with the real service, checked through the real
 * {@link SecretsManagerClient}: versions, staging labels and how they move during a rotation.
 */
abstract class SecretsManagerContract {
  static final String REGION = "us-east-1";

  abstract SecretsManagerClient sm();

  static String name() {
    return "test/" + UUID.randomUUID();
  }

  @Test
  void createSecret_thenGetSecretValue_returnsCurrentVersion() {
    String name = name();
    CreateSecretResponse created = sm().createSecret(b -> b.name(name).secretString("{\"password\":\"one\"}"));

    GetSecretValueResponse got = sm().getSecretValue(b -> b.secretId(name));

    assertThat(created.arn()).contains(":secretsmanager:" + REGION + ":", ":secret:" + name + "-");
    assertThat(got.secretString()).isEqualTo("{\"password\":\"one\"}");
    assertThat(got.versionId()).isEqualTo(created.versionId());
    assertThat(got.versionStages()).containsExactly("AWSCURRENT");
    assertThat(got.arn()).isEqualTo(created.arn());
    assertThat(got.createdDate()).isNotNull();
  }

  @Test
  void putSecretValue_default_movesCurrentAndPrevious() {
    String name = name();
    String v1 = sm().createSecret(b -> b.name(name).secretString("one")).versionId();
    String v2 = sm().putSecretValue(b -> b.secretId(name).secretString("two")).versionId();

    assertThat(value(name, "AWSCURRENT")).isEqualTo("two");
    assertThat(value(name, "AWSPREVIOUS")).isEqualTo("one");

    String v3 = sm().putSecretValue(b -> b.secretId(name).secretString("three")).versionId();

    assertThat(stagesOf(name, false)).containsOnlyKeys(v2, v3);
    assertThat(stagesOf(name, false).get(v2)).containsExactly("AWSPREVIOUS");
    assertThat(stagesOf(name, true)).containsKey(v1);
    assertThat(stagesOf(name, true).get(v1)).isEmpty();
    assertThat(sm().getSecretValue(b -> b.secretId(name).versionId(v1)).secretString()).isEqualTo("one");
  }

  @Test
  void rotation_pendingThenPromoted_currentMovesAndPreviousFollows() {
    String name = name();
    String v1 = sm().createSecret(b -> b.name(name).secretString("old-password")).versionId();
    PutSecretValueResponse pending = sm().putSecretValue(b -> b.secretId(name).secretString("new-password")
        .versionStages("AWSPENDING"));
    assertThat(pending.versionStages()).containsExactly("AWSPENDING");
    assertThat(value(name, "AWSCURRENT")).isEqualTo("old-password");
    assertThat(value(name, "AWSPENDING")).isEqualTo("new-password");

    sm().updateSecretVersionStage(b -> b.secretId(name).versionStage("AWSCURRENT")
        .moveToVersionId(pending.versionId()).removeFromVersionId(v1));

    assertThat(value(name, "AWSCURRENT")).isEqualTo("new-password");
    assertThat(value(name, "AWSPREVIOUS")).isEqualTo("old-password");
    DescribeSecretResponse described = sm().describeSecret(b -> b.secretId(name));
    assertThat(described.versionIdsToStages().get(pending.versionId())).containsExactlyInAnyOrder("AWSCURRENT", "AWSPENDING");
    assertThat(described.versionIdsToStages().get(v1)).containsExactly("AWSPREVIOUS");
  }

  @Test
  void updateSecretVersionStage_labelElsewhereWithoutRemoveFrom_invalidParameter() {
    String name = name();
    sm().createSecret(b -> b.name(name).secretString("one"));
    String v2 = sm().putSecretValue(b -> b.secretId(name).secretString("two").versionStages("AWSPENDING")).versionId();

    assertThatThrownBy(() -> sm().updateSecretVersionStage(b -> b.secretId(name).versionStage("AWSCURRENT")
        .moveToVersionId(v2))).isInstanceOf(InvalidParameterException.class);
    assertThat(value(name, "AWSCURRENT")).isEqualTo("one");
  }

  @Test
  void updateSecretVersionStage_customLabel_movesAndRemoves() {
    String name = name();
    String v1 = sm().createSecret(b -> b.name(name).secretString("one")).versionId();
    String v2 = sm().putSecretValue(b -> b.secretId(name).secretString("two")).versionId();

    sm().updateSecretVersionStage(b -> b.secretId(name).versionStage("BLUE").moveToVersionId(v1));
    assertThat(value(name, "BLUE")).isEqualTo("one");
    sm().updateSecretVersionStage(b -> b.secretId(name).versionStage("BLUE").moveToVersionId(v2).removeFromVersionId(v1));
    assertThat(value(name, "BLUE")).isEqualTo("two");
    sm().updateSecretVersionStage(b -> b.secretId(name).versionStage("BLUE").removeFromVersionId(v2));

    assertThatThrownBy(() -> value(name, "BLUE")).isInstanceOf(ResourceNotFoundException.class);
  }

  @Test
  void getSecretValue_versionIdWithoutThatStage_notFound() {
    String name = name();
    String v1 = sm().createSecret(b -> b.name(name).secretString("one")).versionId();
    sm().putSecretValue(b -> b.secretId(name).secretString("two"));

    assertThat(sm().getSecretValue(b -> b.secretId(name).versionId(v1).versionStage("AWSPREVIOUS")).secretString())
        .isEqualTo("one");
    assertThatThrownBy(() -> sm().getSecretValue(b -> b.secretId(name).versionId(v1).versionStage("AWSCURRENT")))
        .isInstanceOf(ResourceNotFoundException.class);
    assertThatThrownBy(() -> sm().getSecretValue(b -> b.secretId(name).versionId(UUID.randomUUID().toString())))
        .isInstanceOf(ResourceNotFoundException.class);
  }

  @Test
  void putSecretValue_sameTokenSameValue_idempotent_differentValue_resourceExists() {
    String name = name();
    sm().createSecret(b -> b.name(name).secretString("one"));
    String token = UUID.randomUUID().toString();

    String first = sm().putSecretValue(b -> b.secretId(name).clientRequestToken(token).secretString("two")).versionId();
    String again = sm().putSecretValue(b -> b.secretId(name).clientRequestToken(token).secretString("two")).versionId();

    assertThat(again).isEqualTo(first).isEqualTo(token);
    assertThat(stagesOf(name, true)).hasSize(2);
    assertThatThrownBy(() -> sm().putSecretValue(b -> b.secretId(name).clientRequestToken(token).secretString("other")))
        .isInstanceOf(ResourceExistsException.class);
  }

  @Test
  void binarySecret_roundTrips() {
    String name = name();
    byte[] value = {0, 1, 2, (byte) 0xff};
    sm().createSecret(b -> b.name(name).secretBinary(SdkBytes.fromByteArray(value)));

    GetSecretValueResponse got = sm().getSecretValue(b -> b.secretId(name));

    assertThat(got.secretBinary().asByteArray()).isEqualTo(value);
    assertThat(got.secretString()).isNull();
  }

  @Test
  void getSecretValue_unknownSecret_notFound_createExisting_resourceExists() {
    String name = name();
    assertThatThrownBy(() -> sm().getSecretValue(b -> b.secretId(name))).isInstanceOf(ResourceNotFoundException.class);
    sm().createSecret(b -> b.name(name).secretString("x"));
    assertThatThrownBy(() -> sm().createSecret(b -> b.name(name).secretString("y")))
        .isInstanceOf(ResourceExistsException.class);
  }

  @Test
  void getSecretValue_byFullAndPartialArn_findsSecret() {
    String name = name();
    String arn = sm().createSecret(b -> b.name(name).secretString("x")).arn();
    String partial = arn.substring(0, arn.length() - 7);

    assertThat(sm().getSecretValue(b -> b.secretId(arn)).secretString()).isEqualTo("x");
    assertThat(sm().getSecretValue(b -> b.secretId(partial)).secretString()).isEqualTo("x");
  }

  @Test
  void listSecretVersionIds_maxResultsOne_pagesThroughAll() {
    String name = name();
    sm().createSecret(b -> b.name(name).secretString("one"));
    sm().putSecretValue(b -> b.secretId(name).secretString("two"));

    ListSecretVersionIdsResponse page1 = sm().listSecretVersionIds(b -> b.secretId(name).maxResults(1));
    assertThat(page1.versions()).hasSize(1);
    assertThat(page1.nextToken()).isNotNull();
    ListSecretVersionIdsResponse page2 = sm().listSecretVersionIds(b -> b.secretId(name).maxResults(1)
        .nextToken(page1.nextToken()));

    assertThat(page2.versions()).hasSize(1);
    assertThat(List.of(page1.versions().get(0).versionId(), page2.versions().get(0).versionId()))
        .doesNotHaveDuplicates();
  }

  @Test
  void deleteSecret_withRecoveryWindow_blocksReads_restoreSecretBringsItBack() {
    String name = name();
    sm().createSecret(b -> b.name(name).secretString("x"));

    assertThat(sm().deleteSecret(b -> b.secretId(name).recoveryWindowInDays(7L)).deletionDate()).isNotNull();
    assertThatThrownBy(() -> sm().getSecretValue(b -> b.secretId(name))).isInstanceOf(InvalidRequestException.class);
    assertThat(sm().describeSecret(b -> b.secretId(name)).deletedDate()).isNotNull();

    sm().restoreSecret(b -> b.secretId(name));
    assertThat(sm().getSecretValue(b -> b.secretId(name)).secretString()).isEqualTo("x");

    sm().deleteSecret(b -> b.secretId(name).forceDeleteWithoutRecovery(true));
    assertThatThrownBy(() -> sm().getSecretValue(b -> b.secretId(name))).isInstanceOf(ResourceNotFoundException.class);
  }

  String value(String name, String stage) {
    return sm().getSecretValue(b -> b.secretId(name).versionStage(stage)).secretString();
  }

  java.util.Map<String, List<String>> stagesOf(String name, boolean includeDeprecated) {
    java.util.Map<String, List<String>> out = new java.util.HashMap<>();
    for (SecretVersionsListEntry e : sm().listSecretVersionIdsPaginator(b -> b.secretId(name)
        .includeDeprecated(includeDeprecated)).stream().flatMap(p -> p.versions().stream()).toList()) {
      out.put(e.versionId(), e.versionStages());
    }
    return out;
  }
}
