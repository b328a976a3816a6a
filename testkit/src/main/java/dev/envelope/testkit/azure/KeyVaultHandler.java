package dev.envelope.testkit.azure;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.MGF1ParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import javax.crypto.Cipher;
import javax.crypto.spec.OAEPParameterSpec;
import javax.crypto.spec.PSource;

/**
 * Routes Key Vault's data-plane REST API (keys and secrets, api-version 7.x) onto a {@link Vault}.
 * Request and response shapes follow the Key Vault REST reference: base64url without padding for
 * binary fields, epoch seconds for times, {@code {"value":[…],"nextLink":…}} pages.
 */
final class KeyVaultHandler implements HttpHandler {
  /** Bodies above this are refused before they are parsed. */
  static final int MAX_BODY_BYTES = 256 * 1024;
  /** Key Vault's largest (and default) page. */
  static final int MAX_PAGE = 25;
  private static final Pattern API_VERSION = Pattern.compile("7\\.\\d+(-preview(\\.\\d+)?)?");
  private static final String TENANT = "00000000-0000-0000-0000-000000000000";

  private final ObjectMapper json = new ObjectMapper();
  private final Vault vault;
  private final AzureFaults faults;
  private final String vaultUrl;
  private final String challengeResource;

  KeyVaultHandler(Vault vault, AzureFaults faults, String vaultUrl, String challengeResource) {
    this.vault = vault;
    this.faults = faults;
    this.vaultUrl = vaultUrl;
    this.challengeResource = challengeResource;
  }

  /** What one request asked for, once routed. */
  private record Call(String operation, Function<JsonNode, ObjectNode> action) {}

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    try {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readNBytes(MAX_BODY_BYTES + 1);
        // Drain an oversized body so the connection stays usable.
        in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      try {
        String auth = exchange.getRequestHeaders().getFirst("Authorization");
        if (auth == null || !auth.regionMatches(true, 0, "Bearer ", 0, 7) || auth.substring(7).isBlank()) {
          // The SDK's first request carries no token and no body; this answer tells it where to get one.
          faults.countChallenge();
          exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer authorization=\"https://login.microsoftonline.com/"
              + TENANT + "\", resource=\"" + challengeResource + "\"");
          throw VaultError.unauthorized();
        }
        Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
        String apiVersion = query.get("api-version");
        if (apiVersion == null || !API_VERSION.matcher(apiVersion).matches()) {
          throw VaultError.badParameter("The request URI contains an invalid or missing api-version.");
        }
        Call call = route(exchange.getRequestMethod(), exchange.getRequestURI().getRawPath(), query, apiVersion);
        VaultError fault = faults.arrive(call.operation());
        if (fault != null) {
          throw fault;
        }
        if (body.length > MAX_BODY_BYTES) {
          throw VaultError.badParameter("The request body is too large.");
        }
        JsonNode request = body.length == 0 ? json.createObjectNode() : parse(body);
        send(exchange, 200, call.action().apply(request));
      } catch (VaultError e) {
        sendError(exchange, e);
      }
    } catch (RuntimeException e) {
      // A bug in the fake must still answer, or the client waits for its timeout.
      try {
        sendError(exchange, new VaultError(500, "InternalServerError", "The fake failed: " + e, null, -1));
      } catch (IOException | RuntimeException ignored) {
        // the exchange is already answered or gone
      }
    } finally {
      exchange.close();
    }
  }

  private JsonNode parse(byte[] body) {
    try {
      JsonNode node = json.readTree(body);
      if (node == null || !node.isObject()) {
        throw VaultError.badParameter("The request body must be a JSON object.");
      }
      return node;
    } catch (JsonProcessingException e) {
      throw VaultError.badParameter("The request body is not valid JSON.");
    } catch (IOException e) {
      throw VaultError.badParameter("The request body could not be read.");
    }
  }

  // ---- routing ----

  private Call route(String method, String rawPath, Map<String, String> query, String apiVersion) {
    String[] seg = rawPath.split("/", -1);
    // seg[0] is the empty string before the leading slash
    if (seg.length < 2 || !seg[0].isEmpty()) {
      throw notFound(rawPath);
    }
    String collection = seg[1];
    String name = seg.length > 2 ? decode(seg[2]) : null;
    String third = seg.length > 3 ? decode(seg[3]) : null;
    String fourth = seg.length > 4 ? decode(seg[4]) : null;
    if (seg.length > 5) {
      throw notFound(rawPath);
    }
    if (collection.equals("keys")) {
      if (name == null || (name.isEmpty() && seg.length == 3)) {
        expect(method, "GET", rawPath);
        return new Call(AzureFaults.LIST_KEYS, r -> page(vault.latestKeys(), this::keyItem, "/keys", query,
            apiVersion));
      }
      if (third == null || (third.isEmpty() && fourth == null)) {
        expect(method, "GET", rawPath);
        return new Call(AzureFaults.GET_KEY, r -> keyBundle(vault.key(name, "")));
      }
      if (fourth == null) {
        if (method.equals("POST") && third.equals("create")) {
          return new Call(AzureFaults.CREATE_KEY, r -> createKey(name, r));
        }
        if (method.equals("POST") && third.equals("rotate")) {
          return new Call(AzureFaults.ROTATE_KEY, r -> keyBundle(vault.rotateKey(name)));
        }
        if (method.equals("POST")) {
          // An operation on a key id without a version uses the newest version.
          return keyOperationCall(name, "", third, method, rawPath);
        }
        if (method.equals("GET") && third.equals("versions")) {
          return new Call(AzureFaults.LIST_KEY_VERSIONS, r -> page(vault.keyVersions(name), this::keyItem,
              "/keys/" + name + "/versions", query, apiVersion));
        }
        if (method.equals("GET")) {
          return new Call(AzureFaults.GET_KEY, r -> keyBundle(vault.key(name, third)));
        }
        if (method.equals("PATCH")) {
          return new Call(AzureFaults.UPDATE_KEY, r -> updateKey(name, third, r));
        }
        throw notImplemented(method, rawPath);
      }
      expect(method, "POST", rawPath);
      return keyOperationCall(name, third, fourth, method, rawPath);
    }
    if (collection.equals("secrets")) {
      if (fourth != null) {
        throw notFound(rawPath);
      }
      if (name == null || (name.isEmpty() && seg.length == 3)) {
        expect(method, "GET", rawPath);
        return new Call(AzureFaults.LIST_SECRETS, r -> page(vault.latestSecrets(), this::secretItem, "/secrets",
            query, apiVersion));
      }
      if (third == null || third.isEmpty()) {
        if (method.equals("PUT") && third == null) {
          return new Call(AzureFaults.SET_SECRET, r -> setSecret(name, r));
        }
        expect(method, "GET", rawPath);
        return new Call(AzureFaults.GET_SECRET, r -> secretBundle(readableSecret(name, ""), true));
      }
      if (method.equals("GET") && third.equals("versions")) {
        return new Call(AzureFaults.LIST_SECRET_VERSIONS, r -> page(vault.secretVersions(name), this::secretItem,
            "/secrets/" + name + "/versions", query, apiVersion));
      }
      if (method.equals("GET")) {
        return new Call(AzureFaults.GET_SECRET, r -> secretBundle(readableSecret(name, third), true));
      }
      if (method.equals("PATCH")) {
        return new Call(AzureFaults.UPDATE_SECRET, r -> updateSecret(name, third, r));
      }
      throw notImplemented(method, rawPath);
    }
    throw notFound(rawPath);
  }

  private Call keyOperationCall(String name, String version, String op, String method, String rawPath) {
    // Clients spell the operation segment "wrapkey" (Java) or "wrapKey" (.NET); the service accepts both.
    return switch (op.toLowerCase(java.util.Locale.ROOT)) {
      case "wrapkey" -> new Call(AzureFaults.WRAP_KEY, r -> keyOperation(name, version, "wrapKey", true, r));
      case "unwrapkey" -> new Call(AzureFaults.UNWRAP_KEY, r -> keyOperation(name, version, "unwrapKey", false, r));
      case "encrypt" -> new Call(AzureFaults.ENCRYPT, r -> keyOperation(name, version, "encrypt", true, r));
      case "decrypt" -> new Call(AzureFaults.DECRYPT, r -> keyOperation(name, version, "decrypt", false, r));
      default -> throw notImplemented(method, rawPath);
    };
  }

  private static void expect(String method, String expected, String path) {
    if (!method.equals(expected)) {
      throw notImplemented(method, path);
    }
  }

  private static VaultError notFound(String path) {
    return new VaultError(404, "NotFound", "No Key Vault operation at " + path + ".", null, -1);
  }

  private static VaultError notImplemented(String method, String path) {
    // 501 is not retried by the Azure SDK, so a missing feature fails fast and visibly.
    return new VaultError(501, "NotImplemented", "The Azure Key Vault fake does not implement " + method + " "
        + path + ".", null, -1);
  }

  private static String decode(String segment) {
    return URLDecoder.decode(segment, StandardCharsets.UTF_8);
  }

  private static Map<String, String> query(String raw) {
    Map<String, String> out = new HashMap<>();
    if (raw == null) {
      return out;
    }
    for (String pair : raw.split("&")) {
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.putIfAbsent(k, v);
    }
    return out;
  }

  // ---- keys ----

  private ObjectNode createKey(String name, JsonNode r) {
    String kty = text(r, "kty");
    if (kty == null) {
      throw VaultError.badParameter("Property 'kty' is required.");
    }
    JsonNode attrs = r.path("attributes");
    Vault.KeyVersion v = vault.createKey(name, kty, integer(r, "key_size"), strings(r, "key_ops"),
        bool(attrs, "enabled"), number(attrs, "nbf"), number(attrs, "exp"), tags(r));
    return keyBundle(v);
  }

  private ObjectNode updateKey(String name, String version, JsonNode r) {
    JsonNode attrs = r.path("attributes");
    return keyBundle(vault.updateKey(name, version, strings(r, "key_ops"), bool(attrs, "enabled"),
        number(attrs, "nbf"), number(attrs, "exp"), tags(r)));
  }

  private ObjectNode keyOperation(String name, String version, String op, boolean forward, JsonNode r) {
    String alg = text(r, "alg");
    if (alg == null) {
      throw VaultError.badParameter("Property 'alg' is required.");
    }
    byte[] value = base64Url(r, "value");
    Vault.KeyVersion key = vault.key(name, version);
    List<String> ops;
    boolean enabled;
    synchronized (key) {
      ops = key.ops;
      enabled = key.attributes.enabled;
    }
    if (!ops.contains(op)) {
      throw VaultError.operationNotPermitted(op);
    }
    // Key Vault refuses private-key operations on a disabled key; wrapKey and encrypt only need
    // the public key and are still served.
    if (!forward && !enabled) {
      throw VaultError.keyDisabled(op);
    }
    byte[] result;
    try {
      Cipher cipher = cipher(key, alg);
      if (key.isRsa()) {
        cipher.init(forward ? Cipher.ENCRYPT_MODE : Cipher.DECRYPT_MODE,
            forward ? key.rsa.getPublic() : key.rsa.getPrivate(), spec(alg));
        result = cipher.doFinal(value);
      } else if (forward) {
        cipher.init(Cipher.WRAP_MODE, key.aes);
        result = cipher.wrap(new javax.crypto.spec.SecretKeySpec(value, "AES"));
      } else {
        cipher.init(Cipher.UNWRAP_MODE, key.aes);
        result = cipher.unwrap(value, "AES", Cipher.SECRET_KEY).getEncoded();
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw VaultError.badParameter(forward ? "The value could not be " + (op.equals("encrypt") ? "encrypted" : "wrapped")
          + " with this key and algorithm." : "Unable to decrypt specified value with this key.");
    }
    ObjectNode out = json.createObjectNode();
    out.put("kid", keyId(key));
    out.put("value", Base64.getUrlEncoder().withoutPadding().encodeToString(result));
    Arrays.fill(result, (byte) 0);
    return out;
  }

  private static Cipher cipher(Vault.KeyVersion key, String alg) throws GeneralSecurityException {
    if (key.isRsa()) {
      return switch (alg) {
        case "RSA-OAEP", "RSA-OAEP-256" -> Cipher.getInstance("RSA/ECB/OAEPPadding");
        case "RSA1_5" -> Cipher.getInstance("RSA/ECB/PKCS1Padding");
        default -> throw VaultError.badParameter("Algorithm '" + alg + "' is not supported for key type "
            + key.kty + ".");
      };
    }
    String expected = "A" + key.size + "KW";
    if (!alg.equals(expected)) {
      throw VaultError.badParameter("Algorithm '" + alg + "' is not supported for this " + key.size
          + "-bit oct-HSM key (use " + expected + ").");
    }
    return Cipher.getInstance("AESWrap");
  }

  private static OAEPParameterSpec spec(String alg) {
    return switch (alg) {
      // RSA-OAEP-256 (RFC 7518 §4.3): SHA-256 for both the label hash and MGF1.
      case "RSA-OAEP-256" -> new OAEPParameterSpec("SHA-256", "MGF1", MGF1ParameterSpec.SHA256,
          PSource.PSpecified.DEFAULT);
      case "RSA-OAEP" -> new OAEPParameterSpec("SHA-1", "MGF1", MGF1ParameterSpec.SHA1, PSource.PSpecified.DEFAULT);
      default -> null;
    };
  }

  private String keyId(Vault.KeyVersion v) {
    return vaultUrl + "/keys/" + v.name + "/" + v.version;
  }

  private ObjectNode keyBundle(Vault.KeyVersion v) {
    ObjectNode out = json.createObjectNode();
    ObjectNode key = out.putObject("key");
    key.put("kid", keyId(v));
    key.put("kty", v.kty);
    synchronized (v) {
      ArrayNode ops = key.putArray("key_ops");
      v.ops.forEach(ops::add);
      if (v.isRsa()) {
        RSAPublicKey pub = (RSAPublicKey) v.rsa.getPublic();
        key.put("n", unsignedBase64Url(pub.getModulus()));
        key.put("e", unsignedBase64Url(pub.getPublicExponent()));
      }
      attributes(out.putObject("attributes"), v.attributes);
      tags(out, v.tags);
    }
    return out;
  }

  private ObjectNode keyItem(Vault.KeyVersion v) {
    ObjectNode out = json.createObjectNode();
    out.put("kid", keyId(v));
    synchronized (v) {
      attributes(out.putObject("attributes"), v.attributes);
      tags(out, v.tags);
    }
    return out;
  }

  private static String unsignedBase64Url(BigInteger n) {
    byte[] b = n.toByteArray();
    if (b.length > 1 && b[0] == 0) {
      b = Arrays.copyOfRange(b, 1, b.length);
    }
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  // ---- secrets ----

  private ObjectNode setSecret(String name, JsonNode r) {
    JsonNode attrs = r.path("attributes");
    JsonNode value = r.get("value");
    if (value == null || !value.isTextual()) {
      throw VaultError.badParameter("Property 'value' is required.");
    }
    return secretBundle(vault.setSecret(name, value.asText(), text(r, "contentType"), bool(attrs, "enabled"),
        number(attrs, "nbf"), number(attrs, "exp"), tags(r)), true);
  }

  private Vault.SecretVersion readableSecret(String name, String version) {
    Vault.SecretVersion v = vault.secret(name, version);
    synchronized (v) {
      if (!v.attributes.enabled) {
        throw VaultError.secretDisabled();
      }
    }
    return v;
  }

  private ObjectNode updateSecret(String name, String version, JsonNode r) {
    JsonNode attrs = r.path("attributes");
    return secretBundle(vault.updateSecret(name, version, text(r, "contentType"), bool(attrs, "enabled"),
        number(attrs, "nbf"), number(attrs, "exp"), tags(r)), false);
  }

  private String secretId(Vault.SecretVersion v) {
    return vaultUrl + "/secrets/" + v.name + "/" + v.version;
  }

  private ObjectNode secretBundle(Vault.SecretVersion v, boolean withValue) {
    ObjectNode out = json.createObjectNode();
    if (withValue) {
      out.put("value", v.value);
    }
    out.put("id", secretId(v));
    synchronized (v) {
      if (v.contentType != null) {
        out.put("contentType", v.contentType);
      }
      attributes(out.putObject("attributes"), v.attributes);
      tags(out, v.tags);
    }
    return out;
  }

  private ObjectNode secretItem(Vault.SecretVersion v) {
    ObjectNode out = json.createObjectNode();
    out.put("id", secretId(v));
    synchronized (v) {
      if (v.contentType != null) {
        out.put("contentType", v.contentType);
      }
      attributes(out.putObject("attributes"), v.attributes);
      tags(out, v.tags);
    }
    return out;
  }

  // ---- shared shapes ----

  private static void attributes(ObjectNode out, Vault.Attributes a) {
    out.put("enabled", a.enabled);
    if (a.notBefore != null) {
      out.put("nbf", a.notBefore);
    }
    if (a.expires != null) {
      out.put("exp", a.expires);
    }
    out.put("created", a.created);
    out.put("updated", a.updated);
    out.put("recoveryLevel", "Recoverable+Purgeable");
    out.put("recoverableDays", 90);
  }

  private static void tags(ObjectNode out, Map<String, String> tags) {
    if (!tags.isEmpty()) {
      ObjectNode t = out.putObject("tags");
      tags.forEach(t::put);
    }
  }

  private <T> ObjectNode page(List<T> all, Function<T, ObjectNode> item, String path, Map<String, String> query,
      String apiVersion) {
    int size = MAX_PAGE;
    String max = query.get("maxresults");
    if (max != null) {
      try {
        size = Integer.parseInt(max);
      } catch (NumberFormatException e) {
        size = -1;
      }
      if (size < 1 || size > MAX_PAGE) {
        throw VaultError.badParameter("maxresults must be between 1 and " + MAX_PAGE + ".");
      }
    }
    int from = 0;
    String token = query.get("$skiptoken");
    if (token != null) {
      try {
        from = Integer.parseInt(token);
      } catch (NumberFormatException e) {
        from = -1;
      }
      if (from < 0 || from > all.size()) {
        throw VaultError.badParameter("The $skiptoken is invalid.");
      }
    }
    int to = Math.min(all.size(), from + size);
    ObjectNode out = json.createObjectNode();
    ArrayNode values = out.putArray("value");
    for (T t : all.subList(from, to)) {
      values.add(item.apply(t));
    }
    if (to < all.size()) {
      out.put("nextLink", vaultUrl + path + "?api-version=" + apiVersion + "&$skiptoken=" + to
          + (max == null ? "" : "&maxresults=" + size));
    } else {
      out.putNull("nextLink");
    }
    return out;
  }

  private static String text(JsonNode r, String field) {
    return property(r, field, JsonNode::isTextual, "a string", JsonNode::asText);
  }

  private static Boolean bool(JsonNode r, String field) {
    return property(r, field, JsonNode::isBoolean, "a boolean", JsonNode::asBoolean);
  }

  private static Long number(JsonNode r, String field) {
    return property(r, field, JsonNode::canConvertToLong, "a number", JsonNode::asLong);
  }

  /** The property's value, null when absent or JSON null; a bad parameter when of another type. */
  private static <T> T property(JsonNode r, String field, Predicate<JsonNode> isType, String type,
      Function<JsonNode, T> value) {
    JsonNode n = r.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!isType.test(n)) {
      throw VaultError.badParameter("Property '" + field + "' must be " + type + ".");
    }
    return value.apply(n);
  }

  private static Integer integer(JsonNode r, String field) {
    Long n = number(r, field);
    if (n != null && (n < 0 || n > 65536)) {
      throw VaultError.badParameter("Property '" + field + "' is out of range.");
    }
    return n == null ? null : n.intValue();
  }

  private static List<String> strings(JsonNode r, String field) {
    JsonNode n = r.get(field);
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isArray() || n.size() > 16) {
      throw VaultError.badParameter("Property '" + field + "' must be an array of strings.");
    }
    List<String> out = new ArrayList<>();
    for (JsonNode e : n) {
      if (!e.isTextual()) {
        throw VaultError.badParameter("Property '" + field + "' must be an array of strings.");
      }
      out.add(e.asText());
    }
    return out;
  }

  private static Map<String, String> tags(JsonNode r) {
    JsonNode n = r.get("tags");
    if (n == null || n.isNull()) {
      return null;
    }
    if (!n.isObject() || n.size() > 15) {
      throw VaultError.badParameter("Property 'tags' must be an object of at most 15 string values.");
    }
    Map<String, String> out = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
      Map.Entry<String, JsonNode> e = it.next();
      if (!e.getValue().isTextual()) {
        throw VaultError.badParameter("Tag values must be strings.");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static byte[] base64Url(JsonNode r, String field) {
    String s = text(r, field);
    if (s == null) {
      throw VaultError.badParameter("Property '" + field + "' is required.");
    }
    try {
      return Base64.getUrlDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw VaultError.badParameter("Content of '" + field + "' is not base64url.");
    }
  }

  // ---- responses ----

  private void send(HttpExchange exchange, int status, ObjectNode body) throws IOException {
    byte[] bytes = json.writeValueAsBytes(body);
    exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
    exchange.getResponseHeaders().set("x-ms-request-id", UUID.randomUUID().toString());
    exchange.getResponseHeaders().set("x-ms-keyvault-service-version", "1.9.0.0");
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
  }

  private void sendError(HttpExchange exchange, VaultError e) throws IOException {
    ObjectNode out = json.createObjectNode();
    ObjectNode error = out.putObject("error");
    error.put("code", e.code);
    error.put("message", e.getMessage());
    if (e.innerCode != null) {
      error.putObject("innererror").put("code", e.innerCode);
    }
    if (e.retryAfterSeconds >= 0) {
      exchange.getResponseHeaders().set("Retry-After", Long.toString(e.retryAfterSeconds));
    }
    send(exchange, e.status, out);
  }
}
