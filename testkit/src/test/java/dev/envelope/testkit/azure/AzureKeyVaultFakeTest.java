package dev.envelope.testkit.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.azure.core.exception.HttpResponseException;
import com.azure.core.exception.ResourceNotFoundException;
import com.azure.security.keyvault.keys.KeyClient;
import com.azure.security.keyvault.keys.cryptography.CryptographyClient;
import com.azure.security.keyvault.keys.cryptography.CryptographyClientBuilder;
import com.azure.security.keyvault.keys.cryptography.models.EncryptionAlgorithm;
import com.azure.security.keyvault.keys.cryptography.models.KeyWrapAlgorithm;
import com.azure.security.keyvault.keys.cryptography.models.WrapResult;
import com.azure.security.keyvault.keys.models.CreateOctKeyOptions;
import com.azure.security.keyvault.keys.models.CreateRsaKeyOptions;
import com.azure.security.keyvault.keys.models.KeyProperties;
import com.azure.security.keyvault.keys.models.KeyType;
import com.azure.security.keyvault.keys.models.KeyVaultKey;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLHandshakeException;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.encodings.OAEPEncoding;
import org.bouncycastle.crypto.engines.RSAEngine;
import org.bouncycastle.crypto.params.ParametersWithRandom;
import org.bouncycastle.crypto.params.RSAKeyParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fake's keys API and protocol, driven by the real Azure KeyClient and CryptographyClient. */
class AzureKeyVaultFakeTest {
  private static AzureKeyVaultFake fake;
  private static KeyClient keys;
  /** One RSA key shared by the tests that only read it: RSA generation is the slow part. */
  private static String sharedKeyId;

  @BeforeAll
  static void start() {
    fake = AzureKeyVaultFake.start();
    keys = Clients.keys(fake);
    sharedKeyId = fake.createKey("shared");
  }

  @AfterAll
  static void stop() {
    fake.close();
  }

  @BeforeEach
  void resetFaults() {
    fake.faults().reset();
  }

  static byte[] random(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }

  @SuppressWarnings("unchecked")
  static String errorCode(HttpResponseException e, String field) {
    Map<String, Object> error = (Map<String, Object>) ((Map<String, Object>) e.getValue()).get("error");
    if (field.equals("innererror")) {
      return (String) ((Map<String, Object>) error.get("innererror")).get("code");
    }
    return (String) error.get(field);
  }

  private static HttpResponse<String> raw(String method, String path, String token) throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(fake.sslContext()).build();
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fake.vaultUrl() + path))
        .method(method, HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void request_withoutToken_answersBearerChallenge() throws Exception {
    HttpResponse<String> r = raw("GET", "/keys/shared?api-version=7.6", null);

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(h -> assertThat(h)
        .startsWith("Bearer authorization=\"https://login.microsoftonline.com/")
        .contains("resource=\"https://vault.azure.net\""));
    assertThat(r.body()).contains("\"code\":\"Unauthorized\"");
    assertThat(fake.faults().challenges()).isEqualTo(1);
    assertThat(fake.faults().calls(AzureFaults.ANY)).isZero();
  }

  @Test
  void request_withoutApiVersion_isBadParameter() throws Exception {
    HttpResponse<String> r = raw("GET", "/keys/shared", "t");

    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("\"code\":\"BadParameter\"").contains("api-version");
  }

  @Test
  void sdkClient_firstCallOnNewVault_completesChallengeThenSucceeds() {
    try (AzureKeyVaultFake other = AzureKeyVaultFake.start()) {
      String id = other.createKey("k", "oct-HSM", 256);

      KeyVaultKey key = Clients.keys(other).getKey("k");

      assertThat(key.getId()).isEqualTo(id);
      assertThat(other.faults().challenges()).isEqualTo(1);
      assertThat(other.faults().calls(AzureFaults.GET_KEY)).isEqualTo(1);
    }
  }

  @Test
  void client_withoutFakeTrust_failsTlsHandshake() {
    HttpClient untrusting = HttpClient.newHttpClient();
    HttpRequest request = HttpRequest.newBuilder(URI.create(fake.vaultUrl() + "/keys?api-version=7.6")).build();

    assertThatThrownBy(() -> untrusting.send(request, HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(SSLHandshakeException.class);
  }

  @Test
  void localhostHost_certificateNamesLocalhost_clientConnects() {
    try (AzureKeyVaultFake other = AzureKeyVaultFake.builder().host("localhost").start()) {
      other.createKey("k", "oct-HSM", 128);

      assertThat(other.vaultUrl()).startsWith("https://localhost:");
      assertThat(Clients.keys(other).getKey("k").getName()).isEqualTo("k");
    }
  }

  @Test
  void trustMaterial_writtenToFiles_holdsCertificate(@TempDir Path dir) throws Exception {
    Path pem = fake.writeCertificatePem(dir.resolve("vault.pem"));
    Path p12 = fake.writeTrustStore(dir.resolve("vault.p12"), "pw".toCharArray());

    assertThat(java.nio.file.Files.readString(pem)).startsWith("-----BEGIN CERTIFICATE-----");
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (var in = java.nio.file.Files.newInputStream(p12)) {
      ks.load(in, "pw".toCharArray());
    }
    assertThat(ks.getCertificate(ks.aliases().nextElement())).isEqualTo(fake.certificate());
  }

  @Test
  void createRsaKey_thenGet_returnsPublicJwkAndVersionedId() {
    KeyVaultKey created = keys.createRsaKey(new CreateRsaKeyOptions("created").setKeySize(2048));
    KeyVaultKey latest = keys.getKey("created");
    KeyVaultKey byVersion = keys.getKey("created", created.getProperties().getVersion());

    assertThat(created.getKeyType()).isEqualTo(KeyType.RSA);
    assertThat(created.getId()).isEqualTo(fake.vaultUrl() + "/keys/created/" + created.getProperties().getVersion());
    assertThat(created.getKey().getN()).hasSize(256);
    assertThat(created.getKey().hasPrivateKey()).isFalse();
    assertThat(latest.getId()).isEqualTo(created.getId());
    assertThat(byVersion.getKey().getN()).isEqualTo(created.getKey().getN());
    assertThat(latest.getProperties().isEnabled()).isTrue();
    assertThat(latest.getProperties().getCreatedOn()).isNotNull();
  }

  @Test
  void getKey_unknownNameOrVersion_isKeyNotFound() {
    ResourceNotFoundException byName = catchThrowableOfType(ResourceNotFoundException.class,
        () -> keys.getKey("nope"));
    ResourceNotFoundException byVersion = catchThrowableOfType(ResourceNotFoundException.class,
        () -> keys.getKey("shared", "0123456789abcdef0123456789abcdef"));

    assertThat(byName.getResponse().getStatusCode()).isEqualTo(404);
    assertThat(errorCode(byName, "code")).isEqualTo("KeyNotFound");
    assertThat(errorCode(byVersion, "code")).isEqualTo("KeyNotFound");
  }

  @Test
  void wrapUnwrap_rsaOaep256_roundTripsAndAnswersVersionedKid() throws Exception {
    CryptographyClient crypto = Clients.crypto(fake, sharedKeyId);
    byte[] dek = random(32);

    WrapResult wrapped = crypto.wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, dek);
    byte[] unwrapped = crypto.unwrapKey(KeyWrapAlgorithm.RSA_OAEP_256, wrapped.getEncryptedKey()).getKey();

    assertThat(wrapped.getEncryptedKey()).hasSize(256).isNotEqualTo(dek);
    assertThat(unwrapped).isEqualTo(dek);
    assertThat(fake.faults().calls(AzureFaults.WRAP_KEY)).isEqualTo(1);
    assertThat(fake.faults().calls(AzureFaults.UNWRAP_KEY)).isEqualTo(1);
    // The SDK drops the kid; the wire answer carries the versioned id.
    String value = Base64.getUrlEncoder().withoutPadding().encodeToString(dek);
    HttpResponse<String> r = HttpClient.newBuilder().sslContext(fake.sslContext()).build().send(
        HttpRequest.newBuilder(URI.create(fake.keyId("shared") + "/wrapkey?api-version=7.6"))
            .header("Authorization", "Bearer t").header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"alg\":\"RSA-OAEP-256\",\"value\":\"" + value + "\"}"))
            .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("\"kid\":\"" + sharedKeyId + "\"");
  }

  @Test
  void localWrapRsaOaep_serviceUnwrap_agreesWithSdk() {
    // With key caching on, the SDK fetches the public JWK and wraps RSA-OAEP locally.
    CryptographyClient local = new CryptographyClientBuilder().keyIdentifier(sharedKeyId).credential(Clients.TOKEN)
        .httpClient(Clients.http(fake)).disableChallengeResourceVerification().buildClient();
    byte[] dek = random(32);

    byte[] wrapped = local.wrapKey(KeyWrapAlgorithm.RSA_OAEP, dek).getEncryptedKey();

    assertThat(fake.faults().calls(AzureFaults.WRAP_KEY)).isZero();
    assertThat(Clients.crypto(fake, sharedKeyId).unwrapKey(KeyWrapAlgorithm.RSA_OAEP, wrapped).getKey())
        .isEqualTo(dek);
  }

  @Test
  void rsaOaep256_independentImplementation_unwrapsAtFake() throws Exception {
    // RFC 7518 RSA-OAEP-256 is SHA-256 with MGF1-SHA-256; BouncyCastle's own OAEP code (not the
    // JCE the fake uses) encrypts with the public JWK the fake published.
    KeyVaultKey key = keys.getKey("shared");
    RSAKeyParameters pub = new RSAKeyParameters(false, new BigInteger(1, key.getKey().getN()),
        new BigInteger(1, key.getKey().getE()));
    OAEPEncoding oaep = new OAEPEncoding(new RSAEngine(), new SHA256Digest(), new SHA256Digest(), null);
    oaep.init(true, new ParametersWithRandom(pub, new SecureRandom()));
    byte[] dek = random(32);

    byte[] wrapped = oaep.processBlock(dek, 0, dek.length);

    assertThat(Clients.crypto(fake, sharedKeyId).unwrapKey(KeyWrapAlgorithm.RSA_OAEP_256, wrapped).getKey())
        .isEqualTo(dek);
  }

  @Test
  void encryptDecrypt_rsaOaep256_roundTrips() {
    CryptographyClient crypto = Clients.crypto(fake, sharedKeyId);
    byte[] data = random(100);

    byte[] ct = crypto.encrypt(EncryptionAlgorithm.RSA_OAEP_256, data).getCipherText();

    assertThat(crypto.decrypt(EncryptionAlgorithm.RSA_OAEP_256, ct).getPlainText()).isEqualTo(data);
  }

  @Test
  void unwrap_tamperedCiphertext_isBadParameter400() {
    CryptographyClient crypto = Clients.crypto(fake, sharedKeyId);
    byte[] wrapped = crypto.wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, random(32)).getEncryptedKey();
    wrapped[wrapped.length / 2] ^= 1;

    HttpResponseException e = catchThrowableOfType(HttpResponseException.class,
        () -> crypto.unwrapKey(KeyWrapAlgorithm.RSA_OAEP_256, wrapped));

    assertThat(e.getResponse().getStatusCode()).isEqualTo(400);
    assertThat(errorCode(e, "code")).isEqualTo("BadParameter");
  }

  @Test
  void unwrap_underOtherAlgorithm_fails() {
    CryptographyClient crypto = Clients.crypto(fake, sharedKeyId);
    byte[] wrapped = crypto.wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, random(32)).getEncryptedKey();

    assertThatThrownBy(() -> crypto.unwrapKey(KeyWrapAlgorithm.RSA_OAEP, wrapped))
        .isInstanceOfSatisfying(HttpResponseException.class,
            e -> assertThat(e.getResponse().getStatusCode()).isEqualTo(400));
  }

  @Test
  void rotate_newVersionBecomesCurrent_oldVersionStillUnwraps() {
    String v1 = fake.createKey("rotating");
    byte[] dek = random(32);
    byte[] wrappedV1 = Clients.crypto(fake, v1).wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, dek).getEncryptedKey();

    KeyVaultKey v2 = keys.rotateKey("rotating");

    assertThat(v2.getId()).isNotEqualTo(v1);
    assertThat(keys.getKey("rotating").getId()).isEqualTo(v2.getId());
    assertThat(Clients.crypto(fake, v1).unwrapKey(KeyWrapAlgorithm.RSA_OAEP_256, wrappedV1).getKey()).isEqualTo(dek);
    // The newest version is a different RSA key: it cannot unwrap what v1 wrapped.
    assertThatThrownBy(() -> Clients.crypto(fake, v2.getId()).unwrapKey(KeyWrapAlgorithm.RSA_OAEP_256, wrappedV1))
        .isInstanceOf(HttpResponseException.class);
    List<String> listed = keys.listPropertiesOfKeyVersions("rotating").stream().map(KeyProperties::getId).toList();
    assertThat(listed).containsExactlyInAnyOrder(v1, v2.getId());
  }

  @Test
  void disabledKey_refusesUnwrapWithKeyDisabled_stillWraps() {
    String id = fake.createKey("disabled");
    CryptographyClient crypto = Clients.crypto(fake, id);
    byte[] wrapped = crypto.wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, random(32)).getEncryptedKey();
    KeyVaultKey key = keys.getKey("disabled");

    keys.updateKeyProperties(key.getProperties().setEnabled(false));

    assertThat(keys.getKey("disabled").getProperties().isEnabled()).isFalse();
    HttpResponseException e = catchThrowableOfType(HttpResponseException.class,
        () -> crypto.unwrapKey(KeyWrapAlgorithm.RSA_OAEP_256, wrapped));
    assertThat(e.getResponse().getStatusCode()).isEqualTo(403);
    assertThat(errorCode(e, "innererror")).isEqualTo("KeyDisabled");
    assertThat(crypto.wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, random(32)).getEncryptedKey()).hasSize(256);
  }

  @Test
  void throttled_retryAfterHonouredBySdk_thenSucceeds() {
    CryptographyClient crypto = Clients.crypto(fake, sharedKeyId);
    fake.faults().throttleNext(AzureFaults.WRAP_KEY, 1, Duration.ofSeconds(1));

    long start = System.nanoTime();
    WrapResult result = crypto.wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, random(32));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(result.getEncryptedKey()).hasSize(256);
    assertThat(fake.faults().calls(AzureFaults.WRAP_KEY)).isEqualTo(2);
    // The client's own backoff is 5-50 ms: only Retry-After explains a 1 s wait.
    assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(950));
  }

  @Test
  void throttledAlways_retriesExhausted_is429() {
    CryptographyClient crypto = Clients.crypto(fake, sharedKeyId);
    fake.faults().throttleAlways(AzureFaults.WRAP_KEY, Duration.ZERO);

    HttpResponseException e = catchThrowableOfType(HttpResponseException.class,
        () -> crypto.wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, random(32)));

    assertThat(e.getResponse().getStatusCode()).isEqualTo(429);
    assertThat(e.getResponse().getHeaderValue("Retry-After")).isEqualTo("0");
    assertThat(errorCode(e, "code")).isEqualTo("Throttled");
    assertThat(fake.faults().calls(AzureFaults.WRAP_KEY)).isEqualTo(1 + Clients.MAX_RETRIES);
  }

  @Test
  void failNext_serviceUnavailable_retriedBySdk() {
    fake.faults().failNext(AzureFaults.GET_KEY, 503, "ServiceUnavailable", 2);

    KeyVaultKey key = keys.getKey("shared");

    assertThat(key.getId()).isEqualTo(sharedKeyId);
    assertThat(fake.faults().calls(AzureFaults.GET_KEY)).isEqualTo(3);
  }

  @Test
  void denyAccess_isForbiddenByRbac_notRetried() {
    CryptographyClient crypto = Clients.crypto(fake, sharedKeyId);
    fake.faults().denyAccess(AzureFaults.UNWRAP_KEY);

    HttpResponseException e = catchThrowableOfType(HttpResponseException.class,
        () -> crypto.unwrapKey(KeyWrapAlgorithm.RSA_OAEP_256, new byte[256]));

    assertThat(e.getResponse().getStatusCode()).isEqualTo(403);
    assertThat(errorCode(e, "innererror")).isEqualTo("ForbiddenByRbac");
    assertThat(errorCode(e, "message")).contains("Microsoft.KeyVault/vaults/keys/unwrap/action");
    assertThat(fake.faults().calls(AzureFaults.UNWRAP_KEY)).isEqualTo(1);
  }

  @Test
  void latency_delaysRequest() {
    fake.faults().latency(AzureFaults.GET_KEY, Duration.ofMillis(200));

    long start = System.nanoTime();
    keys.getKey("shared");

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
  }

  @Test
  void octHsmKey_wrapsWithAesKeyWrap() {
    KeyVaultKey oct = keys.createOctKey(new CreateOctKeyOptions("oct").setHardwareProtected(true).setKeySize(256));
    CryptographyClient crypto = Clients.crypto(fake, oct.getId());
    byte[] dek = random(32);

    byte[] wrapped = crypto.wrapKey(KeyWrapAlgorithm.A256KW, dek).getEncryptedKey();

    assertThat(oct.getKeyType()).isEqualTo(KeyType.OCT_HSM);
    assertThat(wrapped).hasSize(40);
    assertThat(crypto.unwrapKey(KeyWrapAlgorithm.A256KW, wrapped).getKey()).isEqualTo(dek);
    assertThatThrownBy(() -> crypto.wrapKey(KeyWrapAlgorithm.RSA_OAEP_256, dek))
        .isInstanceOfSatisfying(HttpResponseException.class,
            e -> assertThat(e.getResponse().getStatusCode()).isEqualTo(400));
  }

  @Test
  void listVersions_moreThanOnePage_followsNextLink() {
    for (int i = 0; i < 30; i++) {
      fake.createKey("paged", "oct-HSM", 128);
    }

    List<KeyProperties> versions = keys.listPropertiesOfKeyVersions("paged").stream().toList();

    assertThat(versions).hasSize(30);
    assertThat(versions).extracting(KeyProperties::getVersion).doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(fake.keyVersions("paged"));
    assertThat(fake.faults().calls(AzureFaults.LIST_KEY_VERSIONS)).isEqualTo(2);
  }

  @Test
  void listKeys_includesEveryKeyOnce() {
    fake.createKey("listed-a", "oct-HSM", 128);
    fake.createKey("listed-a", "oct-HSM", 128);

    List<String> names = keys.listPropertiesOfKeys().stream().map(KeyProperties::getName).toList();

    assertThat(names).contains("shared", "listed-a").doesNotHaveDuplicates();
  }

  @Test
  void createKey_unsupportedTypeOrSize_isBadParameter() {
    HttpResponseException ec = catchThrowableOfType(HttpResponseException.class,
        () -> keys.createKey("ec", KeyType.EC));
    HttpResponseException size = catchThrowableOfType(HttpResponseException.class,
        () -> keys.createRsaKey(new CreateRsaKeyOptions("small").setKeySize(1024)));

    assertThat(ec.getResponse().getStatusCode()).isEqualTo(400);
    assertThat(size.getResponse().getStatusCode()).isEqualTo(400);
    assertThat(errorCode(size, "code")).isEqualTo("BadParameter");
  }

  @Test
  void faults_unknownOperation_rejected() {
    assertThatThrownBy(() -> fake.faults().denyAccess("wrapkey"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("wrapKey");
  }

  @Test
  void directSetup_badName_rejected() {
    assertThatThrownBy(() -> fake.createKey("bad/name")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> fake.rotateKey("never-created")).isInstanceOf(java.util.NoSuchElementException.class);
  }
}
