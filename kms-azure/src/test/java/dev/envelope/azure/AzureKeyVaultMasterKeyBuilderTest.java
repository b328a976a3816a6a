package dev.envelope.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.http.HttpClient;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AzureKeyVaultMasterKeyBuilderTest {
  @Test
  void build_withoutKeyId_isIllegalState() {
    assertThatThrownBy(() -> AzureKeyVaultMasterKey.builder().build()).isInstanceOf(IllegalStateException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "http://v.vault.azure.net/keys/k",
      "https://v.vault.azure.net/secrets/k",
      "https://v.vault.azure.net/keys/",
      "https://v.vault.azure.net/keys/bad_name",
      "https://v.vault.azure.net/keys/k/v1/extra",
      "https://v.vault.azure.net/keys/k?api-version=7.4",
      "https://user@v.vault.azure.net/keys/k",
      "https://v.vault.azure.net/keys/k#frag",
      "not a url"})
  void keyId_malformed_isIllegalArgument(String keyId) {
    assertThatThrownBy(() -> AzureKeyVaultMasterKey.builder().keyId(keyId))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void keyId_normalised_hostLowerCasedAndVersionKept() {
    AzureKeyVaultMasterKey key = AzureKeyVaultMasterKey.builder()
        .keyId("https://My-Vault.vault.azure.net:443/keys/Orders/0123456789abcdef0123456789abcdef")
        .credential(request -> reactor.core.publisher.Mono.empty())
        .build();

    assertThat(key.keyId()).isEqualTo("https://my-vault.vault.azure.net/keys/Orders");
    assertThat(key.pinnedVersion()).isEqualTo("0123456789abcdef0123456789abcdef");
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://10.0.0.1:8443", "http://127.0.0.1:8443", "https://example.com",
      "https://127.0.0.1:8443/path", "https://127.0.0.999:1"})
  void endpoint_notHttpsLoopback_isIllegalArgument(String endpoint) {
    assertThatThrownBy(() -> AzureKeyVaultMasterKey.builder().endpoint(endpoint))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://127.0.0.1:8443", "https://localhost:1", "https://[::1]:8443", "https://127.1.2.3"})
  void endpoint_loopback_accepted(String endpoint) {
    assertThat(AzureKeyVaultMasterKey.builder().endpoint(endpoint)).isNotNull();
  }

  @Test
  void sslContextAndHttpClient_together_isIllegalState() throws Exception {
    HttpClient client = HttpClient.createDefault();
    assertThatThrownBy(() -> AzureKeyVaultMasterKey.builder().keyId("https://v.vault.azure.net/keys/k")
        .sslContext(SSLContext.getDefault()).httpClient(client).build())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void limits_outOfRange_areIllegalArgument() {
    AzureKeyVaultMasterKey.Builder b = AzureKeyVaultMasterKey.builder();
    assertThatThrownBy(() -> b.deadline(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.deadline(Duration.ofHours(1))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.maxRetries(-1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.maxRetries(11)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.versionRefresh(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.retryBackoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
