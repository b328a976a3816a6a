package dev.envelope.secrets;

import static dev.envelope.secrets.InMemorySecretStore.AWSCURRENT;
import static dev.envelope.secrets.InMemorySecretStore.AWSPENDING;
import static dev.envelope.secrets.InMemorySecretStore.AWSPREVIOUS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.SecretNotFoundException;
import java.util.List;
import org.junit.jupiter.api.Test;

class InMemorySecretStoreTest {
  static final String NAME = "prod/db";
  final InMemorySecretStore store = SecretStore.inMemory();

  @Test
  void put_newSecret_isCurrent() {
    String id = store.put(NAME, "v1");
    SecretValue v = store.get(NAME);
    assertThat(v.asString()).isEqualTo("v1");
    assertThat(v.versionId()).isEqualTo(id);
    assertThat(v.stages()).containsExactly(AWSCURRENT);
    assertThat(v.name()).isEqualTo(NAME);
  }

  @Test
  void put_again_formerCurrentBecomesPrevious() {
    String v1 = store.put(NAME, "v1");
    String v2 = store.put(NAME, "v2");
    assertThat(store.get(NAME).versionId()).isEqualTo(v2);
    assertThat(store.get(NAME, Version.previous()).versionId()).isEqualTo(v1);
    assertThat(store.get(NAME, Version.previous()).stages()).containsExactly(AWSPREVIOUS);
  }

  @Test
  void rotation_pendingThenPromote_movesStages() {
    String v1 = store.put(NAME, "v1");
    String v2 = store.putPending(NAME, "v2");

    assertThat(store.get(NAME).versionId()).isEqualTo(v1);
    assertThat(store.get(NAME, Version.pending()).versionId()).isEqualTo(v2);
    assertThat(store.get(NAME, Version.pending()).stages()).containsExactly(AWSPENDING);
    assertThatThrownBy(() -> store.get(NAME, Version.previous())).isInstanceOf(SecretNotFoundException.class);

    store.promote(NAME, v2);
    assertThat(store.get(NAME).versionId()).isEqualTo(v2);
    assertThat(store.get(NAME).stages()).containsExactly(AWSCURRENT);
    assertThat(store.get(NAME, Version.previous()).versionId()).isEqualTo(v1);
    assertThatThrownBy(() -> store.get(NAME, Version.pending()))
        .isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("pending");

    String v3 = store.putPending(NAME, "v3");
    store.promote(NAME, v3);
    // The version that lost every label stays readable by id, as in AWS.
    SecretValue old = store.get(NAME, Version.id(v1));
    assertThat(old.asString()).isEqualTo("v1");
    assertThat(old.stages()).isEmpty();
    assertThat(store.get(NAME, Version.previous()).versionId()).isEqualTo(v2);
  }

  @Test
  void putPending_twice_labelMovesToNewest() {
    store.put(NAME, "v1");
    String a = store.putPending(NAME, "a");
    String b = store.putPending(NAME, "b");
    assertThat(store.get(NAME, Version.pending()).versionId()).isEqualTo(b);
    assertThat(store.get(NAME, Version.id(a)).stages()).isEmpty();
  }

  @Test
  void promote_previous_rollsBack() {
    String v1 = store.put(NAME, "v1");
    String v2 = store.put(NAME, "v2");
    store.promote(NAME, v1);
    assertThat(store.get(NAME).versionId()).isEqualTo(v1);
    assertThat(store.get(NAME, Version.previous()).versionId()).isEqualTo(v2);
  }

  @Test
  void stages_customLabelMovedAndRemoved() {
    String v1 = store.put(NAME, "v1");
    String v2 = store.put(NAME, "v2");
    store.moveStage(NAME, "blue", v1);
    assertThat(store.get(NAME, Version.stage("blue")).versionId()).isEqualTo(v1);
    store.moveStage(NAME, "blue", v2);
    assertThat(store.get(NAME, Version.stage("blue")).versionId()).isEqualTo(v2);
    assertThat(store.get(NAME, Version.stage(AWSCURRENT)).versionId()).isEqualTo(v2);
    store.removeStage(NAME, "blue");
    assertThatThrownBy(() -> store.get(NAME, Version.stage("blue"))).isInstanceOf(SecretNotFoundException.class);
    assertThatThrownBy(() -> store.removeStage(NAME, AWSCURRENT)).isInstanceOf(IllegalArgumentException.class);
    store.moveStage(NAME, AWSCURRENT, v1);
    assertThat(store.get(NAME).versionId()).isEqualTo(v1);
    assertThat(store.get(NAME, Version.previous()).versionId()).isEqualTo(v2);
  }

  @Test
  void versions_listsStagesStateAndCreated_newestFirst() {
    String v1 = store.put(NAME, "v1");
    String v2 = store.put(NAME, "v2");
    String v3 = store.putPending(NAME, "v3");
    List<VersionInfo> versions = store.versions(NAME);
    assertThat(versions).extracting(VersionInfo::id).containsExactly(v3, v2, v1);
    assertThat(versions.get(0).stages()).containsExactly(AWSPENDING);
    assertThat(versions.get(1).stages()).containsExactly(AWSCURRENT);
    assertThat(versions.get(2).hasStage(AWSPREVIOUS)).isTrue();
    assertThat(versions).allSatisfy(v -> {
      assertThat(v.state()).isEqualTo(VersionInfo.State.ENABLED);
      assertThat(v.created()).isNotNull();
    });
    assertThat(versions.toString()).doesNotContain("v1", "v2", "v3");
  }

  @Test
  void missing_secretOrVersion_throwsSecretNotFound() {
    assertThatThrownBy(() -> store.get("nope")).isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("nope");
    assertThatThrownBy(() -> store.versions("nope")).isInstanceOf(SecretNotFoundException.class);
    assertThatThrownBy(() -> store.putPending("nope", "x")).isInstanceOf(SecretNotFoundException.class);
    store.put(NAME, "v1");
    assertThatThrownBy(() -> store.get(NAME, Version.id("no-such-id"))).isInstanceOf(SecretNotFoundException.class);
    assertThatThrownBy(() -> store.promote(NAME, "no-such-id")).isInstanceOf(SecretNotFoundException.class);
    store.delete(NAME);
    assertThatThrownBy(() -> store.get(NAME)).isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void put_badNameOrTooLarge_rejected() {
    assertThatThrownBy(() -> store.put(" ", "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.put("a\nb", "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.put(NAME, new byte[SecretValue.MAX_BYTES + 1]))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.get(NAME)).isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void put_manyVersions_unlabelledOnesBounded() {
    String first = store.put(NAME, "v0");
    for (int i = 1; i <= 150; i++) {
      store.put(NAME, "v" + i);
    }
    assertThat(store.versions(NAME)).hasSize(102); // 100 unlabelled + current + previous
    assertThatThrownBy(() -> store.get(NAME, Version.id(first))).isInstanceOf(SecretNotFoundException.class);
  }
}
