package dev.envelope.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.SecretNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretStoreProviderTest {
  @TempDir
  Path dir;

  @Test
  void serviceLoader_builtInProviders_registered() {
    assertThat(ServiceLoader.load(SecretStoreProvider.class).stream().map(p -> p.get().scheme()))
        .contains("env", "dir");
  }

  @Test
  void resolve_dirSpec_readsFilesUnderThatDirectory() throws Exception {
    Files.createDirectories(dir.resolve("prod"));
    Files.writeString(dir.resolve("prod/api-key"), "k-123");
    SecretStore store = SecretStore.resolve("dir:" + dir, Map.of());
    assertThat(store.get("prod/api-key").asString()).isEqualTo("k-123");
    assertThatThrownBy(() -> store.get("prod/other")).isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void resolve_env_readsProcessEnvironment() {
    SecretStore store = SecretStore.resolve("env", Map.of());
    String path = System.getenv("PATH");
    if (path != null) {
      assertThat(store.get("PATH").asString()).isEqualTo(path);
    }
    assertThatThrownBy(() -> store.get("ENVELOPE_SURELY_UNSET_4711")).isInstanceOf(SecretNotFoundException.class);
  }

  @Test
  void resolve_unknownScheme_namesSchemeAndRegisteredOnes() {
    assertThatThrownBy(() -> SecretStore.resolve("nope-sm:x", Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no provider for store scheme 'nope-sm'")
        .hasMessageContaining("dir").hasMessageContaining("env");
  }

  @Test
  void resolve_malformedSpecsOrOptions_illegalArgument() {
    assertThatThrownBy(() -> SecretStore.resolve("", Map.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SecretStore.resolve(":x", Map.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SecretStore.resolve("env:FOO", Map.of())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("takes no argument");
    assertThatThrownBy(() -> SecretStore.resolve("dir", Map.of())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dir:PATH");
    assertThatThrownBy(() -> SecretStore.resolve("dir:" + dir, Map.of("endpoint", "127.0.0.1:1")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("endpoint");
    assertThatThrownBy(() -> SecretStore.resolve("env", Map.of("x", "y"))).isInstanceOf(IllegalArgumentException.class);
  }
}
