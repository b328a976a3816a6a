package dev.envelope.testkit.azure;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.ExponentialBackoffOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.security.keyvault.keys.KeyClient;
import com.azure.security.keyvault.keys.KeyClientBuilder;
import com.azure.security.keyvault.keys.cryptography.CryptographyClient;
import com.azure.security.keyvault.keys.cryptography.CryptographyClientBuilder;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.SecretClientBuilder;
import java.time.Duration;
import java.time.OffsetDateTime;
import reactor.core.publisher.Mono;

/** The real Azure clients, pointed at a fake, with fast retries so fault tests stay quick. */
final class Clients {
  /** Any token will do: the fake checks that one is present, not what it says. */
  static final TokenCredential TOKEN =
      request -> Mono.just(new AccessToken("test-token", OffsetDateTime.now().plusHours(1)));

  static final int MAX_RETRIES = 3;

  private Clients() {}

  static HttpClient http(AzureKeyVaultFake fake) {
    return new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(fake.sslContext()))
        .responseTimeout(Duration.ofSeconds(10))
        .build();
  }

  static RetryOptions fastRetries() {
    return new RetryOptions(new ExponentialBackoffOptions().setMaxRetries(MAX_RETRIES)
        .setBaseDelay(Duration.ofMillis(5)).setMaxDelay(Duration.ofMillis(50)));
  }

  static KeyClient keys(AzureKeyVaultFake fake) {
    return new KeyClientBuilder().vaultUrl(fake.vaultUrl()).credential(TOKEN).httpClient(http(fake))
        .retryOptions(fastRetries()).disableChallengeResourceVerification().buildClient();
  }

  static CryptographyClient crypto(AzureKeyVaultFake fake, String keyId) {
    return new CryptographyClientBuilder().keyIdentifier(keyId).credential(TOKEN).httpClient(http(fake))
        .retryOptions(fastRetries()).disableChallengeResourceVerification().disableKeyCaching().buildClient();
  }

  static SecretClient secrets(AzureKeyVaultFake fake) {
    return new SecretClientBuilder().vaultUrl(fake.vaultUrl()).credential(TOKEN).httpClient(http(fake))
        .retryOptions(fastRetries()).disableChallengeResourceVerification().buildClient();
  }
}
