package dev.envelope.azure.internal;

import com.azure.core.http.policy.HttpLogDetailLevel;
import com.azure.core.http.policy.HttpLogOptions;

/**
 * The HTTP logging of every Azure client Envelope builds: what {@code AZURE_HTTP_LOG_DETAIL_LEVEL}
 * asks for, but never bodies. A wrapKey request and an unwrapKey response carry the plaintext
 * data key in their bodies, and a secret's response its value, so body logging would write both
 * to the application's log. URLs and headers stay as Azure logs them (header values outside its
 * allow-list, the Authorization header among them, redacted).
 */
public final class HttpLogging {
  private HttpLogging() {}

  /** Azure's options from the environment, without bodies. */
  public static HttpLogOptions withoutBodies() {
    return withoutBodies(new HttpLogOptions());
  }

  /** {@code options} with BODY lowered to BASIC and BODY_AND_HEADERS to HEADERS. */
  public static HttpLogOptions withoutBodies(HttpLogOptions options) {
    HttpLogDetailLevel level = options.getLogLevel();
    if (level.shouldLogBody()) {
      options.setLogLevel(level.shouldLogHeaders() ? HttpLogDetailLevel.HEADERS : HttpLogDetailLevel.BASIC);
    }
    return options;
  }
}
