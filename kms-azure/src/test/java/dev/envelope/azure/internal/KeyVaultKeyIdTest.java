package dev.envelope.azure.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyVaultKeyIdTest {
  @ParameterizedTest
  @CsvSource({
      "https://v.vault.azure.net/keys/k, https://v.vault.azure.net, k, ",
      "https://v.vault.azure.net/keys/k/, https://v.vault.azure.net, k, ",
      "https://V.Vault.Azure.NET:443/keys/My-Key/abc123, https://v.vault.azure.net, My-Key, abc123",
      "https://127.0.0.1:8443/keys/k/0123456789abcdef0123456789abcdef, https://127.0.0.1:8443, k, 0123456789abcdef0123456789abcdef"})
  void parse_validIds_splitIntoParts(String id, String vault, String name, String version) {
    KeyVaultKeyId parsed = KeyVaultKeyId.parse(id);

    assertThat(parsed.vaultUrl()).isEqualTo(vault);
    assertThat(parsed.name()).isEqualTo(name);
    assertThat(parsed.version()).isEqualTo(version);
    assertThat(parsed.unversioned()).isEqualTo(vault + "/keys/" + name);
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost", "LOCALHOST", "127.0.0.1", "127.255.0.9", "[::1]", "::1"})
  void isLoopbackHost_loopback_true(String host) {
    assertThat(KeyVaultKeyId.isLoopbackHost(host)).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"10.0.0.1", "128.0.0.1", "127.0.0.256", "localhost.example.com", "127.0.0.1.nip.io",
      "v.vault.azure.net", "[::2]", ""})
  void isLoopbackHost_other_false(String host) {
    assertThat(KeyVaultKeyId.isLoopbackHost(host)).isFalse();
  }
}
