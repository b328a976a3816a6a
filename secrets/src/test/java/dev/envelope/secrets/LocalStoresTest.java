package dev.envelope.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.KmsException;
import dev.envelope.core.SecretNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LocalStoresTest {
  @TempDir
  Path dir;

  @Test
  void environment_exactOrNormalisedName() {
    SecretStore env = SecretStore.environment(Map.of("PROD_DB_PASSWORD", "p1", "api.key", "k1"));
    assertThat(env.get("prod/db-password").asString()).isEqualTo("p1");
    assertThat(env.get("PROD_DB_PASSWORD").asString()).isEqualTo("p1");
    assertThat(env.get("api.key").asString()).isEqualTo("k1");
    assertThat(env.get("prod/db-password").name()).isEqualTo("prod/db-password");
    assertThat(env.versions("prod/db-password")).singleElement()
        .satisfies(v -> assertThat(v.state()).isEqualTo(VersionInfo.State.ENABLED));
  }

  @Test
  void environment_missingOrOtherVersion_notFound() {
    SecretStore env = SecretStore.environment(Map.of("TOKEN", "t"));
    assertThatThrownBy(() -> env.get("nope")).isInstanceOf(SecretNotFoundException.class)
        .hasMessageContaining("NOPE");
    assertThatThrownBy(() -> env.get("token", Version.pending())).isInstanceOf(SecretNotFoundException.class)
        .hasMessageNotContaining("t\"");
    assertThatThrownBy(() -> env.versions("nope")).isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void environment_processEnvironment_readsPath() {
    // PATH is set wherever tests run; the store must see the real environment.
    String path = System.getenv("PATH");
    if (path != null) {
      assertThat(SecretStore.environment().get("PATH").asString()).isEqualTo(path);
    }
    assertThatThrownBy(() -> SecretStore.environment().get("ENVELOPE_SURELY_UNSET_4711"))
        .isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void directory_nestedName_exactBytes() throws IOException {
    Files.createDirectories(dir.resolve("prod"));
    Files.writeString(dir.resolve("prod/db"), "{\"username\":\"u\",\"password\":\"p\"}\n");
    SecretStore files = SecretStore.directory(dir);
    SecretValue v = files.get("prod/db");
    assertThat(v.asString()).isEqualTo("{\"username\":\"u\",\"password\":\"p\"}\n");
    assertThat(v.asJson(DbCredentials.class).password()).isEqualTo("p");
    assertThat(files.get("prod/db", Version.id(v.versionId())).asString()).startsWith("{");
    assertThat(files.versions("prod/db")).singleElement().satisfies(i -> {
      assertThat(i.id()).isEqualTo(v.versionId());
      assertThat(i.created()).isNotNull();
    });
  }

  @Test
  void directory_fileRewritten_newVersionId() throws IOException {
    Path f = dir.resolve("token");
    Files.writeString(f, "t1");
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
    SecretStore files = SecretStore.directory(dir);
    SecretValue first = files.get("token");
    Files.writeString(f, "t2");
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2026-01-01T00:05:00Z")));
    SecretValue second = files.get("token");
    assertThat(second.asString()).isEqualTo("t2");
    assertThat(second.versionId()).isNotEqualTo(first.versionId());
    assertThatThrownBy(() -> files.get("token", Version.id(first.versionId())))
        .isInstanceOf(SecretNotFoundException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"../etc/passwd", "a/../../b", "/etc/passwd", "a//b", "./a", "a\\b", "a/."})
  void directory_nameLeavingRoot_rejected(String name) {
    assertThatThrownBy(() -> SecretStore.directory(dir).get(name)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void directory_missingOrDirectory_notFound() throws IOException {
    Files.createDirectories(dir.resolve("sub"));
    SecretStore files = SecretStore.directory(dir);
    assertThatThrownBy(() -> files.get("nope")).isInstanceOf(SecretNotFoundException.class);
    assertThatThrownBy(() -> files.get("sub")).isInstanceOf(SecretNotFoundException.class);
    assertThatThrownBy(() -> files.versions("nope")).isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void directory_fileTooLarge_rejectedBeforeReading() throws IOException {
    Files.write(dir.resolve("big"), new byte[SecretValue.MAX_BYTES + 1]);
    assertThatThrownBy(() -> SecretStore.directory(dir).get("big")).isInstanceOf(KmsException.class)
        .hasMessageContaining("larger than");
  }

  @Test
  void directory_cachedWithCachingSecrets_picksUpRewrite() throws IOException {
    Path f = dir.resolve("api-key");
    Files.write(f, "k1".getBytes(StandardCharsets.UTF_8));
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2026-01-01T00:00:00Z")));
    FakeTicker ticker = new FakeTicker();
    CachingSecrets secrets = CachingSecrets.builder().store(SecretStore.directory(dir)).ticker(ticker)
        .executor(Runnable::run).build();
    assertThat(secrets.get("api-key").asString()).isEqualTo("k1");
    Files.write(f, "k2".getBytes(StandardCharsets.UTF_8));
    Files.setLastModifiedTime(f, FileTime.from(Instant.parse("2026-01-01T00:01:00Z")));
    assertThat(secrets.get("api-key").asString()).isEqualTo("k1");
    ticker.advance(java.time.Duration.ofMinutes(5));
    assertThat(secrets.get("api-key").asString()).isEqualTo("k2");
  }
}
