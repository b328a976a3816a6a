package dev.envelope.testkit.aws.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.envelope.testkit.CallCounter;
import dev.envelope.testkit.Fault;
import dev.envelope.testkit.FaultInjector;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The AWS JSON 1.1 protocol: {@code POST /} with {@code X-Amz-Target: SERVICE.OPERATION} and a JSON
 * body, answered with a JSON body and {@code Content-Type: application/x-amz-json-1.1}; errors as
 * {@code {"__type": …, "message": …}} with the model's HTTP status. SigV4 signatures are accepted
 * without verification; the credential scope only tells the region.
 */
public final class AwsHttpHandler implements HttpHandler {
  public static final String CONTENT_TYPE = "application/x-amz-json-1.1";
  static final int MAX_BODY = 1 << 20;
  private static final Pattern CREDENTIAL_SCOPE =
      Pattern.compile("Credential=[^/,\\s]+/\\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request");

  /** Sees every request: which operation, region and named resource (never values or payloads). */
  @FunctionalInterface
  public interface RequestListener {
    void onRequest(String service, String operation, String region, String resourceId);
  }

  private final KmsService kms;
  private final SecretsManagerService secretsManager;
  private final FaultInjector faults;
  private final CallCounter calls;
  private final String defaultRegion;
  private final RequestListener listener;

  public AwsHttpHandler(KmsService kms, SecretsManagerService secretsManager, FaultInjector faults, CallCounter calls,
      String defaultRegion, RequestListener listener) {
    this.kms = kms;
    this.secretsManager = secretsManager;
    this.faults = faults;
    this.calls = calls;
    this.defaultRegion = defaultRegion;
    this.listener = listener;
  }

  @Override
  public void handle(HttpExchange exchange) throws IOException {
    String operation = null;
    try {
      if (!exchange.getRequestMethod().equals("POST")) {
        send(exchange, AwsError.of("UnknownOperationException", "AWS JSON 1.1 requests are POST /"));
        return;
      }
      String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
      int dot = target == null ? -1 : target.indexOf('.');
      String service = dot < 0 ? "" : target.substring(0, dot);
      operation = dot < 0 ? "" : target.substring(dot + 1);
      boolean isKms = service.equals("TrentService") && KmsService.OPERATIONS.contains(operation);
      boolean isSecrets = service.equals("secretsmanager") && SecretsManagerService.OPERATIONS.contains(operation);
      byte[] body = readBody(exchange.getRequestBody());
      String region = region(exchange.getRequestHeaders().getFirst("Authorization"));
      JsonNode request = parse(body);
      calls.record(operation.isEmpty() ? "(none)" : operation);
      if (request != null && (isKms || isSecrets)) {
        listener.onRequest(isKms ? "kms" : "secretsmanager", operation, region, resourceId(request));
      }
      if (!isKms && !isSecrets) {
        throw AwsError.of("UnknownOperationException", "Unknown operation " + target);
      }
      Optional<Fault> fault = faults.beforeCall(operation);
      if (fault.isPresent()) {
        if (fault.get() instanceof Fault.Timeout) {
          calls.recordFailure(operation);
          return; // closing without a response drops the connection
        }
        throw toError(fault.get(), isKms);
      }
      if (body == null) {
        throw AwsError.of("SerializationException", "Request body too large");
      }
      if (request == null || !request.isObject()) {
        throw AwsError.of("SerializationException", "Start of structure or map found where not expected.");
      }
      ObjectNode response = isKms ? kms.handle(operation, request, region) : secretsManager.handle(operation, request, region);
      sendJson(exchange, 200, Json.MAPPER.writeValueAsBytes(response));
    } catch (AwsError e) {
      if (operation != null && !operation.isEmpty()) {
        calls.recordFailure(operation);
      }
      send(exchange, e);
    } catch (RuntimeException e) {
      if (operation != null && !operation.isEmpty()) {
        calls.recordFailure(operation);
      }
      send(exchange, new AwsError("InternalFailure", 500, "The testkit fake failed: " + e.getClass().getSimpleName()));
    } finally {
      exchange.close();
    }
  }

  private static AwsError toError(Fault fault, boolean kms) {
    if (fault instanceof Fault.Throttle) {
      return AwsError.of("ThrottlingException", "Rate exceeded");
    }
    if (fault instanceof Fault.ServerError) {
      return AwsError.of(kms ? "KMSInternalException" : "InternalServiceError", "Injected internal error");
    }
    return AwsError.of(((Fault.Error) fault).code(), "Injected error");
  }

  /** The key or secret a request names, for the request log; null if none. */
  private static String resourceId(JsonNode request) {
    for (String member : new String[] {"KeyId", "SourceKeyId", "SecretId", "Name", "AliasName"}) {
      JsonNode n = request.get(member);
      if (n != null && n.isTextual()) {
        return n.asText();
      }
    }
    return null;
  }

  /** The region from the SigV4 credential scope, else the fake's default region. */
  String region(String authorization) {
    if (authorization != null) {
      Matcher m = CREDENTIAL_SCOPE.matcher(authorization);
      if (m.find()) {
        return m.group(1);
      }
    }
    return defaultRegion;
  }

  /** The body, or null if it is larger than {@link #MAX_BODY}. */
  private static byte[] readBody(InputStream in) throws IOException {
    byte[] b = in.readNBytes(MAX_BODY + 1);
    if (b.length > MAX_BODY) {
      return null;
    }
    return b;
  }

  private static JsonNode parse(byte[] body) {
    if (body == null) {
      return null;
    }
    if (body.length == 0) {
      return Json.object();
    }
    try {
      return Json.MAPPER.readTree(body);
    } catch (JsonProcessingException e) {
      return null;
    } catch (IOException e) {
      return null;
    }
  }

  private static void send(HttpExchange exchange, AwsError e) throws IOException {
    ObjectNode body = Json.object().put("__type", e.type());
    if (e.getMessage() != null) {
      body.put("message", e.getMessage());
    }
    exchange.getResponseHeaders().set("x-amzn-ErrorType", e.type());
    sendJson(exchange, e.status(), Json.MAPPER.writeValueAsBytes(body));
  }

  private static void sendJson(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
    exchange.getResponseHeaders().set("x-amzn-RequestId", UUID.randomUUID().toString());
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }
}
