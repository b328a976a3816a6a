package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.internal.keyfile.LocalKeyResolver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uses {@link LocalKeyStore#create(Path)}, which honours ENVELOPE_PASSPHRASE like the resolver
 * does, so the test holds whether or not the variable is set where it runs.
 */
class LocalKeyResolverTest {
  private static final EncryptionContext CTX = EncryptionContext.of("tenant", "42");

  @TempDir
  Path dir;

  @Test
  void resolveSpec_localFileAndName_returnsTheStoredKey() {
    Path file = dir.resolve("keys.envk");
    LocalKeyStore store = LocalKeyStore.create(file);
    store.createKey("orders");
    store.rotate("orders");

    MasterKey key = MasterKeyResolver.resolveSpec("local:" + file + "#orders", Map.of());

    assertThat(key).isInstanceOf(LocalMasterKey.class);
    assertThat(key.ref()).isEqualTo(new KeyRef("local", "orders"));
    assertThat(((LocalMasterKey) key).version()).isEqualTo(2);
    try (DataKey dk = key.generateDataKey(CTX)) {
      assertThat(dk.wrapped().version()).isEqualTo("2");
      assertThat(store.masterKey("orders").unwrap(dk.wrapped(), CTX)).isEqualTo(dk.plaintext());
    }
  }

  @Test
  void resolveSpec_pathContainingHash_splitsAtLastHash() throws Exception {
    Path sub = Files.createDirectory(dir.resolve("we#ird"));
    Path file = sub.resolve("k#eys.envk");
    LocalKeyStore.create(file).createKey("billing");

    MasterKey key = MasterKeyResolver.resolveSpec("local:" + file + "#billing", Map.of());

    assertThat(key.ref().keyId()).isEqualTo("billing");
  }

  @Test
  void serviceLoader_findsLocalResolver() {
    assertThat(ServiceLoader.load(MasterKeyResolver.class).stream().map(ServiceLoader.Provider::type))
        .contains(LocalKeyResolver.class);
    assertThat(new LocalKeyResolver().scheme()).isEqualTo("local");
  }

  @Test
  void resolve_badSpecs_throwTypedErrors() {
    Path file = dir.resolve("keys.envk");
    LocalKeyStore.create(file).createKey("orders");
    LocalKeyResolver resolver = new LocalKeyResolver();

    assertThatThrownBy(() -> resolver.resolve(file.toString(), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("FILE#NAME");
    assertThatThrownBy(() -> resolver.resolve(file + "#", Map.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> resolver.resolve("#orders", Map.of())).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> resolver.resolve(file + "#bad name", Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> resolver.resolve(file + "#orders", Map.of("endpoint", "x")))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("endpoint");
    assertThatThrownBy(() -> resolver.resolve(file + "#billing", Map.of()))
        .isInstanceOf(KeyUnavailableException.class);
    assertThatThrownBy(() -> resolver.resolve(dir.resolve("absent.envk") + "#orders", Map.of()))
        .isInstanceOf(KeyFileException.class);
  }
}
