package dev.envelope.cli;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import dev.envelope.aws.AwsKmsMasterKey;
import dev.envelope.aws.AwsSecretStore;
import dev.envelope.azure.AzureKeyVaultMasterKey;
import dev.envelope.azure.AzureSecretStore;
import dev.envelope.cli.leaks.CapturingLoggerFactory;
import dev.envelope.cli.leaks.FakeKeyMaterial;
import dev.envelope.cli.leaks.JulCapture;
import dev.envelope.cli.leaks.KnownSecrets;
import dev.envelope.cli.leaks.LogLine;
import dev.envelope.cli.leaks.Outputs;
import dev.envelope.cli.leaks.RecordingMasterKey;
import dev.envelope.cli.leaks.SecretScanner;
import dev.envelope.cli.leaks.SecretScanner.Finding;
import dev.envelope.cli.leaks.SecretScanner.Secret;
import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.BlindIndex;
import dev.envelope.core.DataKey;
import dev.envelope.core.DataKeyCache;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.Envelope;
import dev.envelope.core.EnvelopeException;
import dev.envelope.core.FieldEncryptor;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.JdbcDataKeyStore;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.KeyUsageListener;
import dev.envelope.core.KmsException;
import dev.envelope.core.LocalKeyStore;
import dev.envelope.core.LocalMasterKey;
import dev.envelope.core.MasterKey;
import dev.envelope.core.MessageInfo;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.SecretNotFoundException;
import dev.envelope.core.WrappedKey;
import dev.envelope.gcp.GcpKmsMasterKey;
import dev.envelope.gcp.GcpSecretStore;
import dev.envelope.rotation.ReencryptJob;
import dev.envelope.rotation.RewrapJob;
import dev.envelope.rotation.RotationListener;
import dev.envelope.rotation.RotationReport;
import dev.envelope.secrets.CachingSecrets;
import dev.envelope.secrets.DbCredentials;
import dev.envelope.secrets.RotatingDataSource;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretValue;
import dev.envelope.secrets.Version;
import dev.envelope.testkit.FaultInjector;
import dev.envelope.testkit.aws.AwsFake;
import dev.envelope.testkit.azure.AzureKeyVaultFake;
import dev.envelope.testkit.gcp.FakeSecretManager;
import dev.envelope.testkit.gcp.GcpFakes;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Level;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;

/**
 * Issue 10, "no secret in any output": every operation of the library and the CLI (all providers
 * through the testkit's fakes, fields, rotation jobs, secrets, failure paths) runs with every
 * logging framework at its most verbose level, and none of the text it produced — log records
 * with their arguments and stack traces, System.out and System.err, the CLI's output streams,
 * exception messages and stack traces, the {@code toString()} of every public object — contains a
 * plaintext, a data key (or the content or index keys derived from one), a master key, a secret
 * value or a credential of the run, as text, hex or base64 (see {@link SecretScanner}).
 *
 * <p>Runs in its own surefire execution (a fresh JVM) with slf4j-nop off the class path, so the
 * test's SLF4J binding ({@code org.slf4j.impl.StaticLoggerBinder}) captures the AWS SDK, the
 * Azure SDK and Netty from their first logger on; the test asserts that it did.
 */
class NoSecretInAnyOutputTest {
  private static final String GCP_KEY = "projects/leak/locations/global/keyRings/r/cryptoKeys/leak";
  private static final String GCP_PROJECT = "projects/leak";
  private static final String CLIENT_FRAME_LOGGER = "io.grpc.netty.shaded.io.grpc.netty.NettyClientHandler";
  private static final String SERVER_FRAME_LOGGER = "io.grpc.netty.shaded.io.grpc.netty.NettyServerHandler";
  /** Loggers of the testkit's servers: the JDK HTTP server (AWS and Azure fakes) and gRPC's server side (GCP). */
  private static final Set<String> FAKE_SERVER_LOGGERS = Set.of(SERVER_FRAME_LOGGER, "com.sun.net.httpserver");

  @TempDir
  Path dir;

  private final KnownSecrets known = new KnownSecrets();
  private final Outputs outputs = new Outputs();
  /** Every message-format ciphertext the run made or rewrote, for collecting its data key afterwards. */
  private final List<byte[]> messages = new CopyOnWriteArrayList<>();
  private int messagesCollected;
  private final List<MasterKey> masterKeys = new ArrayList<>();
  private final KeyUsageListener events = e -> outputs.toStrings(e);

  private AwsFake aws;
  private GcpFakes gcp;
  private AzureKeyVaultFake azure;
  private String awsArn;
  private String awsAccessKeyId;
  private String awsSecretKey;
  private String azureToken;
  private Path pem;

  private MasterKey awsKey;
  private MasterKey gcpKey;
  private MasterKey azureKey;
  private LocalMasterKey localKey;

  @Test
  void everyOperation_verboseLogging_noSecretInAnyOutput() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        "no-secret-in-any-output".equals(System.getProperty("envelope.test.jvm")),
        "runs only in its own surefire execution (mvn -pl cli -am verify): the SDKs read their logging "
            + "configuration once per JVM, so in a JVM shared with other tests it would capture too little");
    assertThat(LoggerFactory.getILoggerFactory())
        .as("the test's SLF4J binding must be the one in use (is slf4j-nop still on the test class path?)")
        .isSameAs(CapturingLoggerFactory.INSTANCE);
    Map<String, String> savedProperties = setProperties(Map.of(
        "AZURE_LOG_LEVEL", "verbose",
        "AZURE_HTTP_LOG_DETAIL_LEVEL", "body_and_headers",
        "aws.accessKeyId", awsAccessKeyId = known.randomToken("AKIA"),
        "aws.secretAccessKey", awsSecretKey = known.token("aws secret access key")));
    PrintStream stdout = System.out;
    PrintStream stderr = System.err;
    ByteArrayOutputStream capturedOut = new ByteArrayOutputStream();
    ByteArrayOutputStream capturedErr = new ByteArrayOutputStream();
    List<LogLine> logs = new ArrayList<>();
    byte[] canary;
    String canaryText;
    long started = System.nanoTime();
    CapturingLoggerFactory.INSTANCE.start();
    try (JulCapture jul = JulCapture.install()) {
      System.setOut(new PrintStream(capturedOut, true, UTF_8));
      System.setErr(new PrintStream(capturedErr, true, UTF_8));
      try {
        canary = canaryBytes();
        canaryText = known.randomToken("canary");
        emitCanary(canary, canaryText);

        phase("fakes", this::startFakes);
        phase("clients", this::buildClients);
        phase("messages", this::messagesUnderEveryProvider);
        phase("fields", this::fieldsWithBlindIndexAndRewrap);
        phase("rotation", this::rotationJobs);
        phase("secrets", this::secretsFromEveryStore);
        phase("cli", this::cliCommands);
        phase("collect", this::collectMessageDataKeys);
        phase("failures", this::failurePaths);
        phase("master keys", this::collectMasterKeys);
      } finally {
        System.setOut(stdout);
        System.setErr(stderr);
        CapturingLoggerFactory.INSTANCE.stop();
        logs.addAll(CapturingLoggerFactory.INSTANCE.lines());
        logs.addAll(jul.lines());
        masterKeys.forEach(NoSecretInAnyOutputTest::closeQuietly);
        closeQuietly(aws);
        closeQuietly(gcp);
        closeQuietly(azure);
        restoreProperties(savedProperties);
      }
    }
    long runMillis = (System.nanoTime() - started) / 1_000_000;

    // One channel per logger. The fakes' own servers are left out: they play the cloud, which sees
    // data keys and secret values by design (the GCP fake's gRPC server dumps its frames at DEBUG).
    Map<String, String> channels = new LinkedHashMap<>(logs.stream()
        .filter(l -> !FAKE_SERVER_LOGGERS.contains(l.logger()))
        .collect(Collectors.groupingBy(l -> l.framework() + ":" + l.logger(), java.util.TreeMap::new,
            Collectors.mapping(LogLine::toString, Collectors.joining("\n")))));
    channels.put("System.out", capturedOut.toString(UTF_8));
    channels.put("System.out (bytes)", capturedOut.toString(java.nio.charset.StandardCharsets.ISO_8859_1));
    channels.put("System.err", capturedErr.toString(UTF_8));
    channels.put("System.err (bytes)", capturedErr.toString(java.nio.charset.StandardCharsets.ISO_8859_1));
    channels.putAll(outputs.channels());

    List<Secret> secrets = known.all();
    Secret canaryBytes = new Secret("canary bytes", canary, false);
    Secret canaryToken = new Secret("canary text", canaryText.getBytes(UTF_8), true);
    List<Secret> all = new ArrayList<>(secrets);
    all.add(canaryBytes);
    all.add(canaryToken);
    SecretScanner scanner = new SecretScanner(all);
    List<Finding> findings = new ArrayList<>();
    channels.forEach((channel, text) -> findings.addAll(scanner.scan(channel, text)));

    List<Finding> leaks = findings.stream()
        .filter(f -> !f.secret().equals(canaryBytes.label()) && !f.secret().equals(canaryToken.label())).toList();
    long chars = channels.values().stream().mapToLong(String::length).sum();
    stdout.printf("no-secret scan: %d secrets %s, %d needles, %d log records, %d channels, %d chars; run %d ms %s%n",
        secrets.size(), new java.util.TreeMap<>(known.counts()), scanner.needleCount(), logs.size(), channels.size(),
        chars, runMillis, phaseMillis);
    // The capture really saw the run at its most verbose, from every client library.
    assertThat(logs.stream().filter(l -> Set.of("TRACE", "DEBUG", "FINE", "FINER", "FINEST").contains(l.level())))
        .hasSizeGreaterThan(500);
    assertThat(logs).anyMatch(l -> l.framework().equals("slf4j") && l.logger().startsWith("software.amazon.awssdk")
        && Set.of("TRACE", "DEBUG").contains(l.level()));
    assertThat(logs).anyMatch(l -> l.framework().equals("slf4j") && l.logger().startsWith("com.azure")
        && Set.of("TRACE", "DEBUG").contains(l.level()));
    // Azure's HTTP logging ran at the level asked for (body_and_headers), minus the bodies (kms-azure's HttpLogging).
    List<LogLine> azureHttp = logs.stream().filter(l -> l.logger().startsWith("com.azure.security.keyvault.")
        && l.text().contains("\"az.sdk.message\":\"HTTP ")).toList();
    assertThat(azureHttp).anyMatch(l -> l.logger().endsWith("Service.unwrapKey") && l.text().contains("HTTP response")
        && l.text().contains("x-ms-request-id"));
    assertThat(azureHttp).anyMatch(l -> l.logger().endsWith("Service.getSecretSync"));
    assertThat(azureHttp).noneMatch(l -> l.text().contains("\"body\""));
    assertThat(logs).anyMatch(l -> l.framework().equals("jul") && l.logger().startsWith("io.grpc"));
    assertThat(logs).anyMatch(l -> l.framework().equals("slf4j") && l.logger().startsWith("io.grpc.netty.shaded"));
    // HTTP/2 frame logging was on (the fake's server side dumped DATA frames), yet the client's
    // frame logger, which would dump Decrypt responses, stayed silent (kms-gcp's FrameLogging).
    assertThat(logs).anyMatch(l -> l.logger().equals(SERVER_FRAME_LOGGER) && l.text().contains(" DATA: "));
    assertThat(logs).noneMatch(l -> l.logger().equals(CLIENT_FRAME_LOGGER)
        && (l.text().contains("INBOUND") || l.text().contains("OUTBOUND")));
    assertThat(outputs.exceptionCount()).isGreaterThanOrEqualTo(25);
    assertThat(outputs.objectCount()).isGreaterThan(100);
    assertThat(known.count("data key")).isGreaterThanOrEqualTo(20);
    assertThat(known.count("content key")).isGreaterThanOrEqualTo(20);
    assertThat(known.count("blind index key")).isEqualTo(1);
    assertThat(known.count("local master key")).isGreaterThanOrEqualTo(5);
    assertThat(known.count("aws fake master key")).isGreaterThanOrEqualTo(1);
    assertThat(known.count("gcp fake master key")).isGreaterThanOrEqualTo(1);
    assertThat(known.count("azure fake master key")).isGreaterThanOrEqualTo(1);

    // Positive control: the canary went out through every channel in every form, and was found there.
    for (String channel : List.of("slf4j:leak-test.canary", "jul:leak-test.canary", "System.out", "System.err",
        "toString()", "exceptions")) {
      assertThat(findings.stream().filter(f -> f.secret().equals(canaryBytes.label()) && f.channel().equals(channel))
          .map(Finding::form)).as("canary bytes in " + channel)
          .contains("hex", "HEX", "base64", "base64url", "base64 from byte 0", "base64url from byte 2",
              "base64 from byte 1", "Arrays.toString");
      assertThat(findings).as("canary text in " + channel)
          .anyMatch(f -> f.secret().equals(canaryToken.label()) && f.channel().equals(channel) && f.form().equals("text"));
    }
    assertThat(findings).as("raw canary bytes on System.out")
        .anyMatch(f -> f.secret().equals(canaryBytes.label()) && f.channel().equals("System.out (bytes)")
            && f.form().equals("raw bytes (ISO-8859-1)"));

    assertThat(leaks).as("secrets found in output").isEmpty();
  }

  private final Map<String, Long> phaseMillis = new LinkedHashMap<>();

  private interface Phase {
    void run() throws Exception;
  }

  private void phase(String name, Phase p) throws Exception {
    long t0 = System.nanoTime();
    p.run();
    phaseMillis.put(name, (System.nanoTime() - t0) / 1_000_000);
  }

  // ------------------------------------------------------------------ capture controls

  /**
   * 25 random bytes whose base64 at each of the three alignments has a {@code +} or {@code /}, so
   * that the URL-safe forms differ from the standard ones and the control tells them apart.
   */
  private static byte[] canaryBytes() {
    java.security.SecureRandom random = new java.security.SecureRandom();
    byte[] b = new byte[25];
    for (;;) {
      random.nextBytes(b);
      boolean distinct = true;
      for (int offset = 0; offset < 3; offset++) {
        String std = java.util.Base64.getEncoder().encodeToString(Arrays.copyOfRange(b, offset, offset + 21));
        distinct &= std.indexOf('+') >= 0 || std.indexOf('/') >= 0;
      }
      if (distinct) {
        return b;
      }
    }
  }

  /** The canary through every channel, in every form the scanner knows; a working scanner finds each. */
  private void emitCanary(byte[] canary, String text) {
    byte[] shifted1 = new byte[canary.length + 3];
    System.arraycopy(canary, 0, shifted1, 1, canary.length);
    byte[] shifted2 = new byte[canary.length + 2];
    System.arraycopy(canary, 0, shifted2, 2, canary.length);
    String forms = String.join("\n", text, HexFormat.of().formatHex(canary),
        HexFormat.of().withUpperCase().formatHex(canary), java.util.Base64.getEncoder().encodeToString(canary),
        java.util.Base64.getUrlEncoder().encodeToString(canary),
        java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(shifted1),
        java.util.Base64.getEncoder().encodeToString(shifted2), Arrays.toString(canary));
    LoggerFactory.getLogger("leak-test.canary").trace("canary {}", forms);
    java.util.logging.Logger.getLogger("leak-test.canary").log(Level.FINEST, "canary {0}", forms);
    System.out.println(forms);
    System.out.write(canary, 0, canary.length);
    System.err.println(forms);
    outputs.toStrings(new Object() {
      @Override
      public String toString() {
        return forms;
      }
    });
    outputs.exception(new IllegalStateException("canary", new RuntimeException(forms)));
  }

  // ------------------------------------------------------------------ set-up

  private void startFakes() throws Exception {
    aws = AwsFake.start();
    awsArn = aws.createKey(aws.region());
    gcp = GcpFakes.start();
    gcp.kms().createKey(GCP_KEY);
    azure = AzureKeyVaultFake.start();
    azure.createKey("leak");
    pem = azure.writeCertificatePem(dir.resolve("vault.pem"));
    azureToken = known.token("azure bearer token");
    outputs.toStrings(aws, gcp, azure, gcp.kms(), gcp.secretManager(), aws.faults(), aws.calls(), azure.faults());
    outputs.toStrings(Envelope.builder(), DataKeyCache.builder(), FieldEncryptor.builder(), CachingSecrets.builder(),
        ReencryptJob.builder(), RewrapJob.builder(), AwsKmsMasterKey.builder(), GcpKmsMasterKey.builder(),
        AzureKeyVaultMasterKey.builder(), AwsSecretStore.builder(), GcpSecretStore.builder(), AzureSecretStore.builder(),
        RotatingDataSource.builder(), dev.envelope.core.DataKeyRotation.defaults(), Version.current(), Version.pending());
  }

  private void buildClients() {
    awsKey = track(awsKeyBuilder().build());
    gcpKey = track(GcpKmsMasterKey.builder().keyName(GCP_KEY).endpoint(gcp.endpoint()).build());
    azureKey = track(AzureKeyVaultMasterKey.builder().keyId(azure.keyId("leak")).sslContext(azure.sslContext())
        .credential(azureCredential()).build());
    byte[] localBytes = known.bytes("local master key", 32);
    localKey = LocalMasterKey.of("leak-local", localBytes);
    outputs.toStrings(awsKey, gcpKey, azureKey, localKey, awsKey.ref(), gcpKey.ref(), azureKey.ref(), localKey.ref(),
        localKey.versions());
  }

  private AwsKmsMasterKey.Builder awsKeyBuilder() {
    return AwsKmsMasterKey.builder().keyId(awsArn).endpoint(aws.kmsEndpoint()).region(aws.region())
        .credentialsProvider(awsCredentials());
  }

  private StaticCredentialsProvider awsCredentials() {
    return StaticCredentialsProvider.create(AwsBasicCredentials.create(awsAccessKeyId, awsSecretKey));
  }

  private TokenCredential azureCredential() {
    return request -> Mono.just(new AccessToken(azureToken, OffsetDateTime.now().plusHours(1)));
  }

  private <T extends MasterKey> T track(T key) {
    masterKeys.add(key);
    return key;
  }

  private MasterKey recording(MasterKey key) {
    return new RecordingMasterKey(key, known);
  }

  private EncryptionContext context(String purpose) {
    return EncryptionContext.of("tenant", "leak-test", "purpose", purpose);
  }

  private byte[] plaintext(String kind, int randomBytes) {
    String token = known.token(kind);
    byte[] random = known.bytes(kind + " bytes", randomBytes);
    return ByteBuffer.allocate(token.length() + random.length + 1).put(token.getBytes(UTF_8)).put((byte) '\n')
        .put(random).array();
  }

  // ------------------------------------------------------------------ the library

  private void messagesUnderEveryProvider() throws Exception {
    Map<String, MasterKey> keys = new LinkedHashMap<>();
    keys.put("aws", awsKey);
    keys.put("gcp", gcpKey);
    keys.put("azure", azureKey);
    keys.put("local", localKey);
    for (Map.Entry<String, MasterKey> e : keys.entrySet()) {
      EncryptionContext ctx = context("message-" + e.getKey());
      DataKeyCache cache = DataKeyCache.builder().maxAge(Duration.ofMinutes(1)).maxMessagesPerKey(1).build();
      Envelope.Builder builder = Envelope.builder().masterKeys(recording(e.getValue())).dataKeyCache(cache)
          .listener(events).segmentSize(64);
      outputs.toStrings(builder);
      try (Envelope env = builder.build()) {
        for (int i = 0; i < 2; i++) {
          byte[] pt = plaintext("plaintext", 24);
          byte[] ct = env.encrypt(pt, ctx);
          messages.add(ct);
          assertThat(env.decrypt(ct, ctx)).isEqualTo(pt);
        }
        byte[] streamed = plaintext("stream plaintext", 200);
        ByteArrayOutputStream sink = new ByteArrayOutputStream();
        try (OutputStream enc = env.encryptingStream(sink, ctx)) {
          enc.write(streamed);
        }
        messages.add(sink.toByteArray());
        try (InputStream dec = env.decryptingStream(new ByteArrayInputStream(sink.toByteArray()), ctx)) {
          assertThat(dec.readAllBytes()).isEqualTo(streamed);
        }
        byte[] async = plaintext("async plaintext", 24);
        byte[] asyncCt = env.encryptAsync(async, ctx).get();
        messages.add(asyncCt);
        assertThat(env.decryptAsync(asyncCt, ctx).get()).isEqualTo(async);
        byte[] rewrapped = env.rewrap(asyncCt, ctx);
        messages.add(rewrapped);
        MessageInfo info = Envelope.inspect(rewrapped);
        outputs.toStrings(env, cache, cache.stats(), ctx, info, info.keys(), info.context(), env.masterKeyRefs());
      }
      try (DataKey dk = recording(e.getValue()).generateDataKey(ctx)) {
        outputs.toStrings(dk, dk.plaintext(), dk.wrapped(), dk.wrapped().keyRef());
      }
    }

    // One message under all four master keys; each alone decrypts it.
    EncryptionContext ctx = context("all-four");
    byte[] pt = plaintext("plaintext", 32);
    byte[] ct;
    try (Envelope all = Envelope.builder().masterKeys(recording(awsKey), recording(gcpKey), recording(azureKey),
        recording(localKey)).listener(events).build()) {
      ct = all.encrypt(pt, ctx);
      outputs.toStrings(all);
    }
    messages.add(ct);
    for (MasterKey alone : keys.values()) {
      try (Envelope env = Envelope.builder().masterKeys(recording(alone)).build()) {
        assertThat(env.decrypt(ct, ctx)).isEqualTo(pt);
      }
    }
    outputs.toStrings(Envelope.inspect(ct), Envelope.inspect(new ByteArrayInputStream(ct)));
  }

  private JdbcDataSource h2(String name, String user, String password) {
    JdbcDataSource ds = new JdbcDataSource();
    ds.setURL("jdbc:h2:mem:" + name + "_" + UUID.randomUUID().toString().replace("-", "") + ";DB_CLOSE_DELAY=-1");
    ds.setUser(user);
    ds.setPassword(password);
    return ds;
  }

  private void fieldsWithBlindIndexAndRewrap() throws Exception {
    JdbcDataSource ds = h2("fields", "sa", "");
    JdbcDataKeyStore store = JdbcDataKeyStore.create(ds);
    List<byte[]> values = new ArrayList<>();
    List<byte[]> plaintexts = new ArrayList<>();
    List<EncryptionContext> contexts = new ArrayList<>();
    BlindIndex index;
    String email = known.token("email") + "@example.com";
    try (FieldEncryptor fields = FieldEncryptor.builder().masterKey(recording(awsKey)).dataKeyStore(store)
        .listener(events).build()) {
      for (int i = 0; i < 4; i++) {
        EncryptionContext ctx = EncryptionContext.of("table", "users", "column", "ssn", "id", Integer.toString(i));
        byte[] pt = plaintext("field plaintext", 24);
        values.add(i % 2 == 0 ? fields.encrypt(pt, ctx) : java.util.Base64.getUrlDecoder()
            .decode(fields.encryptToString(pt, ctx)));
        plaintexts.add(pt);
        contexts.add(ctx);
      }
      index = fields.blindIndex("users.email", 16);
      String token = index.computeToString(email.getBytes(UTF_8));
      byte[] rootKey = indexRootKey(store);
      byte[] indexKey = indexKey(rootKey, "users.email", 16);
      assertThat(Arrays.copyOf(hmac(indexKey, email.getBytes(UTF_8)), 16))
          .as("index key derived as docs/fields.md §5.2 says").isEqualTo(index.compute(email.getBytes(UTF_8)));
      known.add("blind index key", indexKey, false);
      outputs.toStrings(fields, index, token, store, store.list(Long.MIN_VALUE, 100),
          store.find(FieldEncryptor.dataKeyIdOf(values.get(0))));

      assertThat(fields.rewrapDataKeys(recording(gcpKey))).isGreaterThanOrEqualTo(2);
      for (int i = 0; i < values.size(); i++) {
        assertThat(fields.decrypt(values.get(i), contexts.get(i))).isEqualTo(plaintexts.get(i));
      }
      outputs.exception(catchThrowable(() -> fields.decrypt(values.get(0), contexts.get(1))));
      byte[] tampered = values.get(0).clone();
      tampered[tampered.length - 1] ^= 1;
      outputs.exception(catchThrowable(() -> fields.decrypt(tampered, contexts.get(0))));
      outputs.toStrings(store.list(Long.MIN_VALUE, 100));
    }
    try (FieldEncryptor reader = FieldEncryptor.builder().masterKey(recording(gcpKey)).dataKeyStore(store).build()) {
      assertThat(reader.decryptFromString(java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(values.get(1)),
          contexts.get(1)))
          .isEqualTo(plaintexts.get(1));
      outputs.toStrings(reader);
    }
  }

  /** The blind-index root key, unwrapped from the data-key table under its reserved context (docs/fields.md §3.2). */
  private byte[] indexRootKey(JdbcDataKeyStore store) {
    var row = store.find(0L).orElseThrow();
    EncryptionContext reserved = EncryptionContext.fromCanonical(canonical("envelope:field-index-root", "v1"));
    try (SecretBytes root = recording(awsKey).unwrap(row.wrapped(), reserved)) {
      return root.toByteArray();
    }
  }

  private static byte[] canonical(String key, String value) {
    byte[] k = key.getBytes(UTF_8);
    byte[] v = value.getBytes(UTF_8);
    return ByteBuffer.allocate(2 + 2 + k.length + 2 + v.length).putShort((short) 1).putShort((short) k.length).put(k)
        .putShort((short) v.length).put(v).array();
  }

  private void rotationJobs() throws Exception {
    String dbPassword = known.token("database password");
    JdbcDataSource ds = h2("rotation", "app", dbPassword);
    try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE users (id BIGINT PRIMARY KEY, ssn VARBINARY(4000))");
    }
    try (Envelope old = Envelope.builder().masterKeys(recording(localKey)).build();
        Envelope next = Envelope.builder().masterKeys(recording(azureKey)).listener(events).build();
        Connection c = ds.getConnection();
        PreparedStatement insert = c.prepareStatement("INSERT INTO users VALUES (?, ?)")) {
      for (long id = 1; id <= 8; id++) {
        byte[] ct = old.encrypt(plaintext("row plaintext", 24), rowContext(id));
        messages.add(ct);
        insert.setLong(1, id);
        insert.setBytes(2, id == 5 ? new byte[] {0, 1, 2, 3} : ct);
        insert.executeUpdate();
      }
      RotationListener listener = new RotationListener() {
        @Override
        public void onStart(dev.envelope.rotation.Progress p) {
          outputs.toStrings(p);
        }

        @Override
        public void onProgress(dev.envelope.rotation.Progress p) {
          outputs.toStrings(p);
        }

        @Override
        public void onRowFailed(dev.envelope.rotation.RowFailure f) {
          outputs.toStrings(f);
        }

        @Override
        public void onFinish(RotationReport r) {
          outputs.toStrings(r);
        }
      };
      ReencryptJob job = ReencryptJob.builder().dataSource(ds).table("users").idColumn("id").column("ssn")
          .context(row -> rowContext(Long.parseLong(row.idString()))).from(old).to(next).batchSize(3)
          .jobId("leak-reencrypt").build();
      RotationReport report = job.run(listener);
      assertThat(report.failed()).isEqualTo(1);
      outputs.toStrings(job, report, report.failures());
      collectColumn(ds, "users", "ssn");

      RewrapJob rewrap = RewrapJob.builder().dataSource(ds).table("users").idColumn("id").column("ssn")
          .context(row -> rowContext(Long.parseLong(row.idString()))).to(next).batchSize(4).jobId("leak-rewrap").build();
      RotationReport rewrapped = rewrap.run(listener);
      outputs.toStrings(rewrap, rewrapped, rewrapped.failures());
    }
  }

  private static EncryptionContext rowContext(long id) {
    return EncryptionContext.of("table", "users", "id", Long.toString(id));
  }

  /** Adds every value of {@code table.column} that parses as a message to {@link #messages}. */
  private void collectColumn(javax.sql.DataSource ds, String table, String column) throws Exception {
    try (Connection c = ds.getConnection(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT " + column + " FROM " + table)) {
      while (rs.next()) {
        byte[] v = rs.getBytes(1);
        if (v != null && v.length > 64) {
          messages.add(v);
        }
      }
    }
  }

  private String dbJson(String password) {
    return "{\"username\":\"app\",\"password\":\"" + password + "\",\"host\":\"db.internal\",\"port\":5432,"
        + "\"dbname\":\"orders\",\"engine\":\"postgres\"}";
  }

  private void secretsFromEveryStore() throws Exception {
    // AWS Secrets Manager
    String awsPw1 = known.token("aws db password");
    String awsPw2 = known.token("aws db password");
    String awsJson1 = dbJson(awsPw1);
    known.addText("secret value", awsJson1);
    String awsJson2 = dbJson(awsPw2);
    known.addText("secret value", awsJson2);
    aws.createSecret(aws.region(), "prod/orders-db", awsJson1);
    aws.putSecretValue(aws.region(), "prod/orders-db", awsJson2, "AWSPENDING");
    String apiKey = known.token("aws api key");
    aws.createSecret(aws.region(), "prod/api-key", apiKey);
    try (AwsSecretStore store = AwsSecretStore.builder().endpoint(aws.secretsManagerEndpoint()).region(aws.region())
        .credentialsProvider(awsCredentials()).build()) {
      readSecrets(store, "prod/orders-db", "prod/api-key", "prod/orders-db", Version.pending());
      aws.faults().error("GetSecretValue", "AccessDeniedException", 1);
      outputs.exception(expect(AccessDeniedException.class, () -> store.get("prod/api-key")));
      aws.faults().throttle("GetSecretValue", FaultInjector.ALWAYS);
      outputs.exception(expect(KmsException.class, () -> store.get("prod/api-key")));
      aws.faults().clear();
      outputs.exception(expect(SecretNotFoundException.class, () -> store.get("prod/missing")));
    }

    // Google Secret Manager
    FakeSecretManager sm = gcp.secretManager();
    String gcpSecret = GCP_PROJECT + "/secrets/orders-db";
    sm.createSecret(gcpSecret);
    String gcpJson = dbJson(known.token("gcp db password"));
    known.addText("secret value", gcpJson);
    sm.addVersion(gcpSecret, gcpJson.getBytes(UTF_8));
    String gcpApi = GCP_PROJECT + "/secrets/api-key";
    sm.createSecret(gcpApi);
    byte[] binarySecret = known.bytes("binary secret", 32);
    String v1 = sm.addVersion(gcpApi, binarySecret);
    sm.addVersion(gcpApi, known.token("gcp api key").getBytes(UTF_8));
    try (GcpSecretStore store = GcpSecretStore.builder().project(GCP_PROJECT).endpoint(gcp.endpoint()).build()) {
      readSecrets(store, "orders-db", "api-key", "api-key", Version.id("1"));
      sm.setVersionEnabled(v1, false);
      outputs.exception(catchThrowable(() -> store.get("api-key", Version.id("1"))));
      sm.deny(gcpSecret, FakeSecretManager.ACCESS_PERMISSION);
      outputs.exception(expect(AccessDeniedException.class, () -> store.get("orders-db")));
      sm.allowAll();
      gcp.faults().failAlways("AccessSecretVersion", Status.Code.UNAVAILABLE);
      try (GcpSecretStore impatient = GcpSecretStore.builder().project(GCP_PROJECT).endpoint(gcp.endpoint())
          .deadline(Duration.ofMillis(500)).build()) {
        outputs.exception(expect(KmsException.class, () -> impatient.get("orders-db")));
      }
      gcp.faults().reset();
    }

    // Azure Key Vault
    String azureJson = dbJson(known.token("azure db password"));
    known.addText("secret value", azureJson);
    azure.setSecret("orders-db", azureJson);
    String azureApi = known.token("azure api key");
    String disabled = azure.setSecret("api-key", azureApi);
    azure.setSecret("api-key", known.token("azure api key"));
    AzureSecretStore azureStore = AzureSecretStore.builder().vaultUrl(azure.vaultUrl()).sslContext(azure.sslContext())
        .credential(azureCredential()).maxRetries(1).retryBackoff(Duration.ofMillis(10), Duration.ofMillis(20))
        .build();
    readSecrets(azureStore, "orders-db", "api-key", "api-key", Version.id(disabled));
    azure.setSecretEnabled("api-key", disabled, false);
    outputs.exception(catchThrowable(() -> azureStore.get("api-key", Version.id(disabled))));
    outputs.exception(expect(SecretNotFoundException.class, () -> azureStore.get("missing")));

    // Environment variables and a directory
    String envValue = known.token("env secret");
    readSecrets(SecretStore.environment(Map.of("ORDERS_DB", dbJson(known.token("env db password")), "API_KEY", envValue)),
        "ORDERS_DB", "API_KEY", null, null);
    Path secretsDir = Files.createDirectories(dir.resolve("secrets"));
    String dirJson = dbJson(known.token("dir db password"));
    known.addText("secret value", dirJson);
    Files.writeString(secretsDir.resolve("orders-db"), dirJson);
    Files.writeString(secretsDir.resolve("api-key"), known.token("dir api key"));
    SecretStore dirStore = SecretStore.directory(secretsDir);
    readSecrets(dirStore, "orders-db", "api-key", null, null);
    outputs.exception(expect(SecretNotFoundException.class, () -> dirStore.get("missing")));
    outputs.exception(expect(IllegalArgumentException.class, () -> dirStore.get("../escape")));

    // A rotating DataSource whose password comes from a secret, with a wrong one first.
    String dbPassword = known.token("database password");
    JdbcDataSource h2 = h2("rotating", "app", dbPassword);
    try (Connection c = h2.getConnection()) {
      assertThat(c.isValid(1)).isTrue();
    }
    Map<String, String> env = new java.util.HashMap<>();
    env.put("DB", dbJson(known.token("wrong db password")));
    try (CachingSecrets wrong = CachingSecrets.builder().store(SecretStore.environment(env)).build()) {
      RotatingDataSource rds = RotatingDataSource.builder().secrets(wrong).secretName("DB").jdbcUrl(h2.getURL()).build();
      outputs.exception(catchThrowable(rds::getConnection));
      outputs.toStrings(rds);
    }
    env.put("DB", dbJson(dbPassword));
    try (CachingSecrets right = CachingSecrets.builder().store(SecretStore.environment(env)).build()) {
      RotatingDataSource rds = RotatingDataSource.builder().secrets(right).secretName("DB").jdbcUrl(h2.getURL()).build();
      try (Connection c = rds.getConnection()) {
        assertThat(c.isValid(1)).isTrue();
      }
      outputs.toStrings(rds, right);
    }
  }

  /** Reads through CachingSecrets: a JSON credential, a plain value, a chosen version, the version lists. */
  private void readSecrets(SecretStore store, String jsonName, String plainName, String otherName, Version other) {
    try (CachingSecrets secrets = CachingSecrets.builder().store(store).ttl(Duration.ofMinutes(1)).build()) {
      SecretValue json = secrets.get(jsonName);
      DbCredentials creds = json.asJson(DbCredentials.class);
      known.addText("secret value", json.asString());
      known.addText("db password", creds.password());
      SecretValue plain = secrets.get(plainName);
      SecretValue again = secrets.refreshNow(plainName);
      outputs.toStrings(secrets, store, json, creds, plain, again, plain.asSecretBytes(), plain.stages(),
          secrets.versions(jsonName), secrets.versions(plainName));
      if (other != null) {
        SecretValue v = secrets.get(otherName, other);
        outputs.toStrings(v, other);
        if (v.length() >= 16) {
          known.add("secret value", v.asBytes(), false);
        }
      }
      outputs.exception(catchThrowable(() -> secrets.get(jsonName).asJson(Integer.class)));
      outputs.exception(catchThrowable(() -> secrets.get("no-such-secret-anywhere")));
    }
  }

  private static Throwable expect(Class<? extends Throwable> type, org.assertj.core.api.ThrowableAssert.ThrowingCallable call) {
    Throwable t = catchThrowable(call);
    assertThat(t).isInstanceOf(type);
    return t;
  }

  // ------------------------------------------------------------------ the CLI

  private record Run(int code, String out, String err, byte[] stdout) {}

  private Run cli(byte[] stdin, boolean searchStdout, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new ByteArrayInputStream(stdin), out, err);
    String name = "`envelope " + String.join(" ", Arrays.copyOf(args, Math.min(args.length, 3))) + "`";
    if (searchStdout) {
      outputs.bytes("CLI stdout of " + name, out.toByteArray());
    }
    outputs.bytes("CLI stderr of " + name, err.toByteArray());
    return new Run(code, out.toString(UTF_8), err.toString(UTF_8), out.toByteArray());
  }

  private Run cli(String... args) {
    return cli(new byte[0], true, args);
  }

  private String[] withProviders(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--endpoint", "aws-kms=" + aws.kmsEndpoint(), "--key-option", "aws-kms.region=" + aws.region(),
        "--endpoint", "gcp-kms=" + gcp.endpoint(), "--key-option", "azure-kv.trust=" + pem));
    return all.toArray(String[]::new);
  }

  private void cliCommands() throws Exception {
    Path kf = dir.resolve("cli.keys");
    assertThat(cli("keys", "create", "--keyfile", kf.toString(), "--name", "orders").code()).isZero();
    assertThat(cli("keys", "create", "--keyfile", kf.toString(), "--name", "archive").code()).isZero();
    assertThat(cli("keys", "rotate", "--keyfile", kf.toString(), "--name", "orders").code()).isZero();
    assertThat(cli("keys", "list", "--keyfile", kf.toString()).code()).isZero();
    registerKeyFile(kf);
    String local = "local:" + kf + "#orders";
    String[] keys = {"aws-kms:" + awsArn, "gcp-kms:" + GCP_KEY, "azure-kv:" + azure.keyId("leak"), local};

    Path in = Files.write(dir.resolve("plain.txt"), plaintext("cli plaintext", 64));
    Path enc = dir.resolve("plain.env");
    Run e = cli(withProviders("encrypt", "--key", keys[0], "--key", keys[1], "--key", keys[2], "--key", keys[3],
        "--context", "app=cli", "--in", in.toString(), "--out", enc.toString()));
    assertThat(e.code()).as(e.err()).isZero();
    messages.add(Files.readAllBytes(enc));
    assertThat(cli("inspect", "--in", enc.toString()).code()).isZero();
    assertThat(cli("inspect", "--in", enc.toString(), "--json").code()).isZero();
    for (String alone : keys) {
      Path out = dir.resolve("out-" + alone.substring(0, 5) + ".txt");
      Run d = cli(withProviders("decrypt", "--key", alone, "--context", "app=cli", "--in", enc.toString(),
          "--out", out.toString()));
      assertThat(d.code()).as(alone + ": " + d.err()).isZero();
      assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(in));
    }
    byte[] piped = plaintext("cli stdin plaintext", 48);
    Run viaPipe = cli(piped, true, "encrypt", "--key", local, "--context", "app=pipe", "--in", "-", "--out", "-");
    assertThat(viaPipe.code()).isZero();
    messages.add(viaPipe.stdout());
    Run back = cli(viaPipe.stdout(), false, "decrypt", "--key", local, "--context", "app=pipe", "--in", "-",
        "--out", "-"); // stdout is the plaintext, by request: not searched
    assertThat(back.stdout()).isEqualTo(piped);

    // Failure paths: wrong context, tampered, unknown key, throttled KMS.
    Path out = dir.resolve("never.txt");
    assertThat(cli(withProviders("decrypt", "--key", keys[0], "--context", "app=other", "--in", enc.toString(),
        "--out", out.toString())).code()).isEqualTo(1);
    byte[] tampered = Files.readAllBytes(enc);
    tampered[tampered.length - 3] ^= 0x10;
    Path bad = Files.write(dir.resolve("tampered.env"), tampered);
    assertThat(cli(withProviders("decrypt", "--key", keys[1], "--context", "app=cli", "--in", bad.toString(),
        "--out", out.toString())).code()).isEqualTo(1);
    assertThat(cli("decrypt", "--key", "local:" + kf + "#archive", "--context", "app=cli", "--in", enc.toString(),
        "--out", out.toString()).code()).isEqualTo(3);
    aws.faults().throttle("Decrypt", FaultInjector.ALWAYS);
    assertThat(cli(withProviders("decrypt", "--key", keys[0], "--context", "app=cli", "--in", enc.toString(),
        "--out", out.toString())).code()).isEqualTo(4);
    aws.faults().clear();
    assertThat(out).doesNotExist();

    // reencrypt and rewrap over a table, the database password from a secret file.
    String dbPassword = known.token("database password");
    JdbcDataSource ds = h2("cli", "app", dbPassword);
    try (Envelope old = Envelope.builder().masterKeys(LocalKeyStore.open(kf).masterKey("archive")).build();
        Connection c = ds.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE users (id BIGINT PRIMARY KEY, ssn VARBINARY(4000))");
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO users VALUES (?, ?)")) {
        for (long id = 1; id <= 6; id++) {
          byte[] ct = old.encrypt(plaintext("cli row plaintext", 24), rowContext(id));
          messages.add(ct);
          ps.setLong(1, id);
          ps.setBytes(2, ct);
          ps.executeUpdate();
        }
      }
    }
    Path passwordFile = Files.writeString(dir.resolve("db-password"), dbPassword + "\n");
    String[] job = {"--jdbc-url", ds.getURL(), "--user", "app", "--password-secret", "file:" + passwordFile,
        "--table", "users", "--column", "ssn", "--context-template", "table=users,id={id}", "--batch", "4"};
    Run re = cli(withProviders(concat(new String[] {"reencrypt", "--from-key", "local:" + kf + "#archive",
        "--to-key", keys[0], "--json", "--progress", "lines", "--job-id", "cli-re"}, job)));
    assertThat(re.code()).as(re.err()).isZero();
    collectColumn(ds, "users", "ssn");
    assertThat(cli("keys", "rotate", "--keyfile", kf.toString(), "--name", "orders").code()).isZero();
    registerKeyFile(kf);
    Run rw = cli(withProviders(concat(new String[] {"rewrap", "--to-key", local, "--from-key", keys[0],
        "--progress", "bar"}, job)));
    assertThat(rw.code()).as(rw.err()).isZero();
    collectColumn(ds, "users", "ssn");
    Path wrongPassword = Files.writeString(dir.resolve("wrong-password"), known.token("wrong db password"));
    job[5] = "file:" + wrongPassword;
    assertThat(cli(withProviders(concat(new String[] {"reencrypt", "--from-key", local, "--to-key", local,
        "--progress", "none"}, job))).code()).isEqualTo(Main.EXIT_FAILURE);

    // secrets get / versions from every store; --reveal prints the value on stdout by design, so
    // exactly that stdout is not searched (its stderr is).
    Path secretsDir = dir.resolve("secrets");
    for (String[] store : List.of(
        new String[] {"orders-db", "--store", "dir:" + secretsDir},
        new String[] {"orders-db", "--store", "gcp-sm:" + GCP_PROJECT.substring("projects/".length()),
            "--endpoint", "gcp-sm=" + gcp.endpoint()},
        new String[] {"prod/orders-db", "--store", "aws-sm", "--endpoint", "aws-sm=" + aws.secretsManagerEndpoint(),
            "--store-option", "region=" + aws.region()},
        new String[] {"orders-db", "--store", "azure-kv:" + azure.vaultUrl(), "--store-option", "trust=" + pem})) {
      Run meta = cli(concat(new String[] {"secrets", "get"}, store));
      assertThat(meta.code()).as(meta.err()).isZero();
      assertThat(cli(concat(new String[] {"secrets", "get", "--json"}, store)).code()).isZero();
      Run reveal = cli(new byte[0], false, concat(new String[] {"secrets", "get", "--reveal"}, store));
      assertThat(reveal.code()).as(reveal.err()).isZero();
      assertThat(reveal.out()).contains("\"password\"");
      assertThat(cli(concat(new String[] {"secrets", "versions", "--json"}, store)).code()).isZero();
    }
    // Disabled, denied and missing secrets.
    String azureStore = "azure-kv:" + azure.vaultUrl();
    String disabledVersion = azure.secretVersions("api-key").get(0);
    assertThat(cli("secrets", "get", "api-key", "--version", disabledVersion, "--store", azureStore, "--store-option",
        "trust=" + pem).code()).isEqualTo(3);
    gcp.secretManager().deny(GCP_PROJECT + "/secrets/orders-db", FakeSecretManager.ACCESS_PERMISSION);
    assertThat(cli("secrets", "get", "orders-db", "--store", "gcp-sm:leak", "--endpoint", "gcp-sm=" + gcp.endpoint())
        .code()).isEqualTo(3);
    gcp.secretManager().allowAll();
    assertThat(cli("secrets", "get", "prod/none", "--store", "aws-sm", "--endpoint", "aws-sm=" + aws.secretsManagerEndpoint(),
        "--store-option", "region=" + aws.region()).code()).isEqualTo(3);
    assertThat(cli("secrets", "get", "ENVELOPE_LEAK_TEST_UNSET", "--store", "env").code()).isEqualTo(3);
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /**
   * The key bytes of a plain key file, read as docs/keyfile.md §2 and §4 describe it, checked
   * against LocalKeyStore by unwrapping a data key with version 1 of each key.
   */
  private void registerKeyFile(Path file) throws Exception {
    LocalKeyStore store = LocalKeyStore.open(file);
    assertThat(store.isEncrypted()).as("ENVELOPE_PASSPHRASE must be unset for this test").isFalse();
    outputs.toStrings(store, store.list());
    ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file));
    in.position(12);
    int bodyLength = in.getInt();
    int keys = Short.toUnsignedInt(in.getShort());
    for (int k = 0; k < keys; k++) {
      byte[] name = new byte[Byte.toUnsignedInt(in.get())];
      in.get(name);
      in.getInt();
      int versions = Short.toUnsignedInt(in.getShort());
      for (int v = 0; v < versions; v++) {
        int version = in.getInt();
        in.getLong();
        byte[] key = new byte[32];
        in.get(key);
        known.add("local master key", key, false);
        if (version == 1) {
          String n = new String(name, UTF_8);
          MasterKey fromFile = store.masterKey(n);
          outputs.toStrings(fromFile);
          try (SecretBytes dk = SecretBytes.copyOf(new byte[32])) {
            EncryptionContext ctx = EncryptionContext.empty();
            WrappedKey wrapped = LocalMasterKey.of(n, key).wrap(dk, ctx);
            assertThat(fromFile.unwrap(wrapped, ctx)).as("key file parsed as specified").isEqualTo(dk);
          }
        }
      }
    }
    assertThat(in.position()).isEqualTo(16 + bodyLength);
  }

  // ------------------------------------------------------------------ data keys after the fact

  /**
   * The data key of every message, unwrapped from its header with one of the run's master keys,
   * and the content key derived from it (docs/format.md §4), checked against the header's key
   * commitment so that a wrong derivation cannot pass unnoticed.
   */
  private void collectMessageDataKeys() throws Exception {
    Path kf = dir.resolve("cli.keys");
    List<MasterKey> candidates = List.of(awsKey, gcpKey, azureKey, localKey, LocalKeyStore.open(kf).masterKey("orders"),
        LocalKeyStore.open(kf).masterKey("archive"));
    for (byte[] ct : messages.subList(messagesCollected, messages.size())) {
      messagesCollected++;
      MessageInfo info = Envelope.inspect(ct);
      WrappedKey wk = info.keys().get(0);
      MasterKey mk = candidates.stream().filter(k -> k.canUnwrap(wk)).findFirst().orElseThrow();
      byte[] dk;
      try (SecretBytes key = mk.unwrap(wk, info.context())) {
        dk = key.toByteArray();
      }
      known.add("data key", dk, false);
      byte[] id = HexFormat.of().parseHex(info.messageId());
      byte[] infoBytes = ByteBuffer.allocate(15 + 1 + id.length).put("ENVELOPE v1 msg".getBytes(UTF_8))
          .put((byte) info.suite()).put(id).array();
      byte[] t1 = hmac(dk, concat(infoBytes, (byte) 1));
      byte[] t2 = hmac(dk, concat(concat(t1, infoBytes), (byte) 2));
      byte[] commitment = Arrays.copyOfRange(ct, info.headerLength() - 48, info.headerLength() - 16);
      assertThat(t2).as("commitment derived as docs/format.md §4 says").isEqualTo(commitment);
      known.add("content key", t1, false);
    }
  }

  private static byte[] indexKey(byte[] root, String name, int length) throws GeneralSecurityException {
    byte[] n = name.getBytes(UTF_8);
    byte[] info = ByteBuffer.allocate(29 + 2 + n.length).put("ENVELOPE v1 field blind index".getBytes(UTF_8))
        .put((byte) length).put((byte) n.length).put(n).array();
    return hmac(root, concat(info, (byte) 1));
  }

  private static byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data);
  }

  private static byte[] concat(byte[] a, byte... b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  // ------------------------------------------------------------------ failures of the library

  private void failurePaths() throws Exception {
    EncryptionContext ctx = context("failures");
    byte[] pt = plaintext("plaintext", 24);
    for (MasterKey key : List.of(awsKey, gcpKey, azureKey, localKey)) {
      try (Envelope env = Envelope.builder().masterKeys(recording(key)).listener(events).build()) {
        byte[] ct = env.encrypt(pt, ctx);
        messages.add(ct);
        outputs.exception(expect(InvalidCiphertextException.class, () -> env.decrypt(ct, context("other"))));
        byte[] tampered = ct.clone();
        tampered[tampered.length / 2] ^= 4;
        outputs.exception(expect(InvalidCiphertextException.class, () -> env.decrypt(tampered, ctx)));
        byte[] truncated = Arrays.copyOf(ct, ct.length - 1);
        outputs.exception(expect(InvalidCiphertextException.class,
            () -> env.decryptingStream(new ByteArrayInputStream(truncated), ctx).readAllBytes()));
        try (Envelope unrelated = Envelope.builder().masterKeys(LocalMasterKey.generate("unrelated")).build()) {
          outputs.exception(expect(KeyUnavailableException.class, () -> unrelated.decrypt(ct, ctx)));
        }
      }
    }
    // Before any key is throttled or disabled below.
    collectMessageDataKeys();

    // Throttled KMS: retried, then a typed error.
    aws.faults().throttle("GenerateDataKey", FaultInjector.ALWAYS);
    try (AwsKmsMasterKey throttled = awsKeyBuilder().maxAttempts(2).build();
        Envelope env = Envelope.builder().masterKeys(throttled).build()) {
      outputs.exception(expect(KmsException.class, () -> env.encrypt(pt, ctx)));
    }
    aws.faults().clear();
    gcp.faults().failAlways("Encrypt", Status.Code.RESOURCE_EXHAUSTED);
    try (GcpKmsMasterKey throttled = GcpKmsMasterKey.builder().keyName(GCP_KEY).endpoint(gcp.endpoint())
        .deadline(Duration.ofMillis(400)).build(); Envelope env = Envelope.builder().masterKeys(throttled).build()) {
      outputs.exception(expect(KmsException.class, () -> env.encrypt(pt, ctx)));
    }
    gcp.faults().reset();
    azure.faults().throttleAlways(dev.envelope.testkit.azure.AzureFaults.WRAP_KEY, Duration.ofMillis(10));
    AzureKeyVaultMasterKey throttledAzure = track(AzureKeyVaultMasterKey.builder().keyId(azure.keyId("leak"))
        .sslContext(azure.sslContext()).credential(azureCredential()).maxRetries(1)
        .retryBackoff(Duration.ofMillis(10), Duration.ofMillis(20)).build());
    try (Envelope env = Envelope.builder().masterKeys(throttledAzure).build()) {
      outputs.exception(expect(KmsException.class, () -> env.encrypt(pt, ctx)));
    }
    azure.faults().reset();

    // Disabled (revoked) master keys.
    byte[] awsCt = messages.get(0);
    aws.disableKey(awsArn);
    try (Envelope env = Envelope.builder().masterKeys(awsKey).build()) {
      outputs.exception(expect(EnvelopeException.class, () -> env.decrypt(awsCt, context("message-aws"))));
    }
    aws.enableKey(awsArn);
    gcp.kms().setVersionEnabled(gcp.kms().primaryVersion(GCP_KEY), false);
    try (Envelope env = Envelope.builder().masterKeys(gcpKey).build()) {
      outputs.exception(expect(EnvelopeException.class, () -> env.encrypt(pt, ctx)));
    }
    azure.setKeyEnabled("leak", "", false);
    byte[] azureCt = messages.stream().filter(m -> Envelope.inspect(m).keys().size() == 1
        && Envelope.inspect(m).keys().get(0).provider().equals("azure-kv")).findFirst().orElseThrow();
    try (Envelope env = Envelope.builder().masterKeys(azureKey).build()) {
      outputs.exception(expect(EnvelopeException.class,
          () -> env.decrypt(azureCt, Envelope.inspect(azureCt).context())));
    }
    outputs.exception(catchThrowable(() -> LocalKeyStore.open(dir.resolve("no-such.keys"))));
    outputs.exception(catchThrowable(() -> Envelope.inspect(new byte[] {1, 2, 3})));
  }

  // ------------------------------------------------------------------ master keys of the fakes

  private void collectMasterKeys() {
    for (var m : FakeKeyMaterial.of(aws)) {
      known.add("aws fake master key", m.bytes(), false);
    }
    for (var m : FakeKeyMaterial.of(gcp)) {
      known.add("gcp fake master key", m.bytes(), false);
    }
    for (var m : FakeKeyMaterial.of(azure)) {
      known.add("azure fake master key", m.bytes(), false);
    }
  }

  // ------------------------------------------------------------------ helpers

  private static Map<String, String> setProperties(Map<String, String> values) {
    Map<String, String> saved = new LinkedHashMap<>();
    values.forEach((k, v) -> {
      saved.put(k, System.getProperty(k));
      System.setProperty(k, v);
    });
    return saved;
  }

  private static void restoreProperties(Map<String, String> saved) {
    saved.forEach((k, v) -> {
      if (v == null) {
        System.clearProperty(k);
      } else {
        System.setProperty(k, v);
      }
    });
  }

  private static void closeQuietly(Object o) {
    if (o instanceof AutoCloseable c) {
      try {
        c.close();
      } catch (Exception e) {
        // Clean-up only; the assertions have run or failed already.
      }
    }
  }
}
