package dev.envelope.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs Project Wycheproof's AES-GCM vectors through {@link Gcm}, the primitive that messages,
 * local master-key wraps and key files go through (field values call the same JDK provider from
 * {@code FieldCipher}). The project may not commit data fetched from public
 * repositories, so the vectors are read from outside the repository: the first of
 *
 * <ol>
 *   <li>system property {@code wycheproof.dir},
 *   <li>environment variable {@code WYCHEPROOF_DIR},
 *   <li>{@code <repository root>/../shared/wycheproof/} (the project's shared data folder),
 * </ol>
 *
 * that holds {@code aes_gcm_test.json}; without one the test is skipped. Only the parameters
 * Envelope uses run (256-bit key, 96-bit IV, 128-bit tag); the rest are counted as skipped.
 *
 * <pre>
 * mvn -B -pl crypto-core -am test -Dtest=WycheproofAesGcmTest -Dwycheproof.dir=/path/to/testvectors \
 *     -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 */
class WycheproofAesGcmTest {
  static final String FILE_NAME = "aes_gcm_test.json";
  private static final HexFormat HEX = HexFormat.of();
  private static final String REJECTED = "rejected";

  /** What a run saw. {@code failures} names test case ids, never key bytes. */
  record Report(int valid, int invalid, int acceptableAccepted, int acceptableRejected, int skipped,
      List<String> failures) {
    String summary() {
      return "Wycheproof AES-GCM: " + valid + " valid, " + invalid + " invalid, acceptable " + acceptableAccepted
          + " accepted / " + acceptableRejected + " rejected, " + skipped + " skipped (other key, IV or tag sizes), "
          + failures.size() + " failures";
    }
  }

  @Test
  void wycheproofVectors_envelopeParameters_behaveAsExpected() throws IOException {
    List<Path> places = candidatePlaces();
    Optional<Path> file = places.stream().map(d -> d.resolve(FILE_NAME)).filter(Files::isRegularFile).findFirst();
    assumeTrue(file.isPresent(), () -> FILE_NAME + " not supplied; looked in -Dwycheproof.dir, $WYCHEPROOF_DIR and"
        + " <repository root>/../shared/wycheproof/, that is: " + places);
    Report report = run(file.get());
    System.out.println(report.summary() + " from " + file.get());
    assertThat(report.failures()).as(report.summary()).isEmpty();
    // A file with nothing applicable is the wrong file, not a pass.
    assertThat(report.valid()).as(report.summary()).isPositive();
    assertThat(report.invalid()).as(report.summary()).isPositive();
  }

  // ---------------------------------------------------------------- the runner checks itself

  @Test
  void run_syntheticVectorsInWycheproofSchema_passAndCountSkipped(@TempDir Path dir) throws Exception {
    Random r = new Random(1);
    ObjectNode root = newFile();
    ArrayNode ours = group(root, 96, 256, 128);
    for (int len : new int[] {0, 1, 15, 16, 17, 64}) {
      ours.add(vector(r, 32, 12, len, r.nextInt(40), "valid"));
    }
    ObjectNode tamperedTag = vector(r, 32, 12, 20, 5, "invalid");
    flipHex(tamperedTag, "tag", 3);
    ours.add(tamperedTag);
    ObjectNode tamperedCt = vector(r, 32, 12, 20, 5, "invalid");
    flipHex(tamperedCt, "ct", 0);
    ours.add(tamperedCt);
    ours.add(vector(r, 32, 12, 10, 0, "acceptable"));
    ObjectNode repeated = vector(r, 32, 12, 8, 3, "valid");
    ours.add(repeated);
    // Same key and IV as the previous vector: the runner must cope with the JDK's refusal to
    // encrypt twice in a row under one key and IV.
    ours.add(vectorWith(repeated.get("key").asText(), repeated.get("iv").asText(), r, 9, 3, "valid"));
    group(root, 64, 256, 128).add(vector(r, 32, 8, 16, 0, "valid"));
    group(root, 96, 128, 128).add(vector(r, 16, 12, 16, 0, "valid"));
    Path file = write(dir, root);

    Report report = run(file);

    assertThat(report.failures()).isEmpty();
    assertThat(report).extracting(Report::valid, Report::invalid, Report::acceptableAccepted, Report::skipped)
        .containsExactly(8, 2, 1, 2);
  }

  @Test
  void run_vectorsWhoseExpectationIsWrong_areReportedAsFailures(@TempDir Path dir) throws Exception {
    Random r = new Random(2);
    ObjectNode root = newFile();
    ArrayNode ours = group(root, 96, 256, 128);
    ObjectNode tamperedButValid = vector(r, 32, 12, 20, 5, "valid");
    flipHex(tamperedButValid, "tag", 15);
    tamperedButValid.put("tcId", 101);
    ours.add(tamperedButValid);
    ObjectNode genuineButInvalid = vector(r, 32, 12, 20, 5, "invalid");
    genuineButInvalid.put("tcId", 102);
    ours.add(genuineButInvalid);
    ObjectNode wrongMessage = vector(r, 32, 12, 20, 5, "valid");
    flipHex(wrongMessage, "msg", 7);
    wrongMessage.put("tcId", 103);
    ours.add(wrongMessage);
    ours.add(vector(r, 32, 12, 20, 5, "valid"));

    Report report = run(write(dir, root));

    assertThat(report.failures()).hasSize(3);
    assertThat(String.join("\n", report.failures())).contains("tcId 101", "tcId 102", "tcId 103");
  }

  // ---------------------------------------------------------------- the runner

  static Report run(Path file) throws IOException {
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    int valid = 0;
    int invalid = 0;
    int acceptableAccepted = 0;
    int acceptableRejected = 0;
    int skipped = 0;
    List<String> failures = new ArrayList<>();
    byte[][] lastEncryption = {new byte[0], new byte[0]};
    for (JsonNode group : root.path("testGroups")) {
      boolean applicable = group.path("keySize").asInt() == 256 && group.path("ivSize").asInt() == 96
          && group.path("tagSize").asInt() == 128;
      for (JsonNode t : group.path("tests")) {
        if (!applicable) {
          skipped++;
          continue;
        }
        String id = "tcId " + t.path("tcId").asInt();
        String result = t.path("result").asText();
        byte[] key = hex(t, "key");
        byte[] iv = hex(t, "iv");
        byte[] aad = hex(t, "aad");
        byte[] msg = hex(t, "msg");
        byte[] ct = hex(t, "ct");
        byte[] tag = hex(t, "tag");
        if (key.length != 32 || iv.length != 12 || tag.length != 16) {
          failures.add(id + ": sizes disagree with its group's keySize/ivSize/tagSize");
          continue;
        }
        String problem = check(result, key, iv, aad, msg, ct, tag, lastEncryption);
        switch (result) {
          case "valid" -> valid++;
          case "invalid" -> invalid++;
          case "acceptable" -> {
            if (problem == null) {
              acceptableAccepted++;
            } else if (problem.equals(REJECTED)) {
              acceptableRejected++;
              problem = null;
            }
          }
          default -> problem = "unknown result '" + result + "'";
        }
        if (problem != null) {
          failures.add(id + " (" + result + "): " + problem);
        }
      }
    }
    return new Report(valid, invalid, acceptableAccepted, acceptableRejected, skipped, List.copyOf(failures));
  }

  /**
   * Null when {@link Gcm} behaves as {@code result} demands: valid → decrypts to msg and encrypts
   * to ct || tag; invalid → decrypt returns false (no exception); acceptable → either, and
   * {@link #REJECTED} tells which.
   */
  private static String check(String result, byte[] key, byte[] iv, byte[] aad, byte[] msg, byte[] ct, byte[] tag,
      byte[][] lastEncryption) {
    SecretKeySpec k = Gcm.aesKey(key);
    byte[] sealed = concat(ct, tag);
    byte[] out = new byte[ct.length];
    boolean opened;
    try {
      opened = Gcm.decrypt(k, iv, aad, 0, aad.length, sealed, 0, sealed.length, out, 0);
    } catch (RuntimeException e) {
      return "decrypt threw " + e.getClass().getName();
    }
    if (result.equals("invalid")) {
      return opened ? "accepted" : null;
    }
    if (!opened) {
      return REJECTED;
    }
    if (!result.equals("valid")) {
      return null;
    }
    if (!Arrays.equals(out, msg)) {
      return "decrypted to another plaintext";
    }
    byte[] encrypted = new byte[msg.length + Gcm.TAG_LENGTH];
    try {
      if (Arrays.equals(lastEncryption[0], key) && Arrays.equals(lastEncryption[1], iv)) {
        // The JDK refuses to encrypt twice in a row under one key and IV on one Cipher (a
        // nonce-reuse guard); an unrelated encryption in between resets it.
        byte[] other = new byte[32];
        Gcm.randomBytes(other);
        Gcm.encrypt(Gcm.aesKey(other), new byte[12], null, new byte[0], 0, 0, new byte[16], 0);
      }
      Gcm.encrypt(k, iv, aad, 0, aad.length, msg, 0, msg.length, encrypted, 0);
      lastEncryption[0] = key;
      lastEncryption[1] = iv;
    } catch (RuntimeException e) {
      return "encrypt threw " + e.getClass().getName();
    }
    return Arrays.equals(encrypted, sealed) ? null : "encrypts to another ct || tag";
  }

  /** Where the vectors may be, in order; the first that holds {@value #FILE_NAME} is used. */
  static List<Path> candidatePlaces() {
    List<Path> places = new ArrayList<>();
    String property = System.getProperty("wycheproof.dir");
    if (property != null && !property.isBlank()) {
      places.add(Paths.get(property));
    }
    String env = System.getenv("WYCHEPROOF_DIR");
    if (env != null && !env.isBlank()) {
      places.add(Paths.get(env));
    }
    repositoryRoot().ifPresent(root -> places.add(root.resolveSibling("shared").resolve("wycheproof")));
    return places;
  }

  /** The reactor root: the nearest directory upwards holding both pom.xml and crypto-core/. */
  private static Optional<Path> repositoryRoot() {
    for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("pom.xml")) && Files.isDirectory(p.resolve("crypto-core"))) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  private static byte[] hex(JsonNode t, String field) {
    return HEX.parseHex(t.path(field).asText(""));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  // ---------------------------------------------------------------- synthetic files (JCE-made)

  private static final ObjectMapper JSON = new ObjectMapper();
  private int nextId = 1;

  private ObjectNode newFile() {
    ObjectNode root = JSON.createObjectNode();
    root.put("algorithm", "AES-GCM");
    root.put("schema", "aead_test_schema.json");
    root.putArray("testGroups");
    return root;
  }

  private static ArrayNode group(ObjectNode root, int ivBits, int keyBits, int tagBits) {
    ObjectNode g = ((ArrayNode) root.get("testGroups")).addObject();
    g.put("type", "AeadTest");
    g.put("ivSize", ivBits);
    g.put("keySize", keyBits);
    g.put("tagSize", tagBits);
    return g.putArray("tests");
  }

  private ObjectNode vector(Random r, int keyLen, int ivLen, int msgLen, int aadLen, String result)
      throws GeneralSecurityException {
    byte[] key = new byte[keyLen];
    byte[] iv = new byte[ivLen];
    r.nextBytes(key);
    r.nextBytes(iv);
    return vectorWith(HEX.formatHex(key), HEX.formatHex(iv), r, msgLen, aadLen, result);
  }

  private ObjectNode vectorWith(String keyHex, String ivHex, Random r, int msgLen, int aadLen, String result)
      throws GeneralSecurityException {
    byte[] msg = new byte[msgLen];
    byte[] aad = new byte[aadLen];
    r.nextBytes(msg);
    r.nextBytes(aad);
    Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
    c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(HEX.parseHex(keyHex), "AES"),
        new GCMParameterSpec(128, HEX.parseHex(ivHex)));
    c.updateAAD(aad);
    byte[] sealed = c.doFinal(msg);
    ObjectNode t = JSON.createObjectNode();
    t.put("tcId", nextId++);
    t.put("comment", "synthetic");
    t.putArray("flags");
    t.put("key", keyHex);
    t.put("iv", ivHex);
    t.put("aad", HEX.formatHex(aad));
    t.put("msg", HEX.formatHex(msg));
    t.put("ct", HEX.formatHex(sealed, 0, msgLen));
    t.put("tag", HEX.formatHex(sealed, msgLen, sealed.length));
    t.put("result", result);
    return t;
  }

  private static void flipHex(ObjectNode t, String field, int byteIndex) {
    byte[] b = HEX.parseHex(t.get(field).asText());
    b[byteIndex] ^= 0x01;
    t.put(field, HEX.formatHex(b));
  }

  private static Path write(Path dir, ObjectNode root) throws IOException {
    Path file = dir.resolve(FILE_NAME);
    JSON.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), root);
    return file;
  }
}
