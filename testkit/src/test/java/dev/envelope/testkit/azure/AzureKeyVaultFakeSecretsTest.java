package dev.envelope.testkit.azure;

import static dev.envelope.testkit.azure.AzureKeyVaultFakeTest.errorCode;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.azure.core.exception.HttpResponseException;
import com.azure.core.exception.ResourceNotFoundException;
import com.azure.security.keyvault.secrets.SecretClient;
import com.azure.security.keyvault.secrets.models.KeyVaultSecret;
import com.azure.security.keyvault.secrets.models.SecretProperties;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The fake's secrets API, driven by the real Azure SecretClient. */
class AzureKeyVaultFakeSecretsTest {
  private static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  private static AzureKeyVaultFake fake;
  private static SecretClient secrets;

  @BeforeAll
  static void start() {
    fake = AzureKeyVaultFake.builder().clock(Clock.fixed(NOW, ZoneOffset.UTC)).start();
    secrets = Clients.secrets(fake);
  }

  @AfterAll
  static void stop() {
    fake.close();
  }

  @Test
  void setSecret_twice_latestIsNewest_olderVersionStillReadable() {
    KeyVaultSecret v1 = secrets.setSecret("db", "{\"password\":\"one\"}");
    KeyVaultSecret v2 = secrets.setSecret("db", "{\"password\":\"two\"}");

    assertThat(v1.getProperties().getVersion()).isNotEqualTo(v2.getProperties().getVersion());
    assertThat(v2.getId()).isEqualTo(fake.vaultUrl() + "/secrets/db/" + v2.getProperties().getVersion());
    assertThat(secrets.getSecret("db").getValue()).isEqualTo("{\"password\":\"two\"}");
    assertThat(secrets.getSecret("db", v1.getProperties().getVersion()).getValue()).isEqualTo("{\"password\":\"one\"}");
    assertThat(secrets.getSecret("db").getProperties().getCreatedOn().toInstant()).isEqualTo(NOW);
  }

  @Test
  void setSecret_withContentTypeAndTags_roundTrips() {
    KeyVaultSecret in = new KeyVaultSecret("api-key", "s3cr3t");
    in.getProperties().setContentType("text/plain").setTags(Map.of("team", "payments"));

    secrets.setSecret(in);
    KeyVaultSecret out = secrets.getSecret("api-key");

    assertThat(out.getProperties().getContentType()).isEqualTo("text/plain");
    assertThat(out.getProperties().getTags()).containsEntry("team", "payments");
    assertThat(out.getProperties().isEnabled()).isTrue();
  }

  @Test
  void listVersions_returnsEveryVersionWithoutValues() {
    secrets.setSecret("rotating", "a");
    secrets.setSecret("rotating", "b");
    secrets.setSecret("rotating", "c");

    List<SecretProperties> versions = secrets.listPropertiesOfSecretVersions("rotating").stream().toList();

    assertThat(versions).extracting(SecretProperties::getVersion)
        .containsExactlyInAnyOrderElementsOf(fake.secretVersions("rotating"));
    assertThat(versions).hasSize(3).allSatisfy(p -> assertThat(p.isEnabled()).isTrue());
    assertThat(fake.faults().calls(AzureFaults.LIST_SECRET_VERSIONS)).isPositive();
  }

  @Test
  void disableVersion_getByVersionIsSecretDisabled_listShowsItDisabled() {
    KeyVaultSecret v1 = secrets.setSecret("disabling", "old");
    KeyVaultSecret v2 = secrets.setSecret("disabling", "new");

    secrets.updateSecretProperties(v2.getProperties().setEnabled(false));

    HttpResponseException latest = catchThrowableOfType(HttpResponseException.class,
        () -> secrets.getSecret("disabling"));
    HttpResponseException byVersion = catchThrowableOfType(HttpResponseException.class,
        () -> secrets.getSecret("disabling", v2.getProperties().getVersion()));
    assertThat(latest.getResponse().getStatusCode()).isEqualTo(403);
    assertThat(errorCode(latest, "innererror")).isEqualTo("SecretDisabled");
    assertThat(errorCode(byVersion, "innererror")).isEqualTo("SecretDisabled");
    assertThat(secrets.getSecret("disabling", v1.getProperties().getVersion()).getValue()).isEqualTo("old");
    assertThat(secrets.listPropertiesOfSecretVersions("disabling").stream()
        .filter(p -> p.getVersion().equals(v2.getProperties().getVersion())).findFirst().orElseThrow().isEnabled())
        .isFalse();

    secrets.updateSecretProperties(v2.getProperties().setEnabled(true));
    assertThat(secrets.getSecret("disabling").getValue()).isEqualTo("new");
  }

  @Test
  void getSecret_unknown_isSecretNotFound() {
    ResourceNotFoundException e = catchThrowableOfType(ResourceNotFoundException.class,
        () -> secrets.getSecret("never-set"));

    assertThat(e.getResponse().getStatusCode()).isEqualTo(404);
    assertThat(errorCode(e, "code")).isEqualTo("SecretNotFound");
  }

  @Test
  void setSecret_badNameOrTooLarge_isBadParameter() {
    HttpResponseException name = catchThrowableOfType(HttpResponseException.class,
        () -> secrets.setSecret("bad_name", "x"));
    HttpResponseException size = catchThrowableOfType(HttpResponseException.class,
        () -> secrets.setSecret("huge", "x".repeat(Vault.MAX_SECRET_CHARS + 1)));

    assertThat(name.getResponse().getStatusCode()).isEqualTo(400);
    assertThat(errorCode(size, "code")).isEqualTo("BadParameter");
  }

  @Test
  void listSecrets_namesEachSecretOnce() {
    secrets.setSecret("listed", "1");
    secrets.setSecret("listed", "2");

    List<String> names = secrets.listPropertiesOfSecrets().stream().map(SecretProperties::getName).toList();

    assertThat(names).contains("listed").doesNotHaveDuplicates();
  }

  @Test
  void directSetup_visibleToClient() {
    String version = fake.setSecret("seeded", "value-1");
    fake.setSecretEnabled("seeded", version, false);

    assertThat(fake.secretVersions("seeded")).containsExactly(version);
    HttpResponseException e = catchThrowableOfType(HttpResponseException.class,
        () -> secrets.getSecret("seeded", version));
    assertThat(e.getResponse().getStatusCode()).isEqualTo(403);
  }
}
