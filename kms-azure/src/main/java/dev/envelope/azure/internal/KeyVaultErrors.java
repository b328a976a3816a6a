package dev.envelope.azure.internal;

import com.azure.core.exception.HttpResponseException;
import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.EnvelopeException;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.KmsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;
import org.jspecify.annotations.Nullable;
import reactor.core.Exceptions;

/**
 * Maps what the Azure SDK throws onto Envelope's exceptions. Key Vault answers errors as
 * {@code {"error":{"code":…,"message":…,"innererror":{"code":…}}}}; the SDK hands that body back
 * as the exception's value (a map). Messages name the key and the status and codes, never the
 * service's free text (which may echo request details).
 */
public final class KeyVaultErrors {
  /** What the failed call was doing; decides how a 400 is read. */
  public enum Call {
    RESOLVE_VERSION("get key"),
    WRAP("wrapKey"),
    UNWRAP("unwrapKey");

    final String label;

    Call(String label) {
      this.label = label;
    }
  }

  private KeyVaultErrors() {}

  public static EnvelopeException map(Throwable thrown, Call call, String keyId) {
    Throwable t = Exceptions.unwrap(thrown);
    String what = "Azure Key Vault " + call.label + " on " + keyId;
    if (t instanceof TimeoutException) {
      return new KmsException(what + " did not complete within its deadline", true, t);
    }
    if (t instanceof InterruptedException) {
      Thread.currentThread().interrupt();
      return new KmsException(what + " was interrupted", true, t);
    }
    if (t instanceof HttpResponseException e) {
      if (e.getResponse() == null) {
        // Credential failures (e.g. no managed identity, not logged in) come without a response.
        return new AccessDeniedException(what + ": no Azure credential could provide a token ("
            + e.getClass().getSimpleName() + ")", e);
      }
      return mapStatus(e, call, what);
    }
    Throwable io = ioCause(t);
    if (io instanceof SSLException) {
      return new KmsException(what + " failed: TLS handshake refused (is the vault's certificate trusted?)", false, t);
    }
    if (io != null) {
      return new KmsException(what + " failed: " + io.getClass().getSimpleName(), true, t);
    }
    if (t instanceof EnvelopeException ee) {
      return ee;
    }
    return new KmsException(what + " failed: " + t.getClass().getSimpleName(), false, t);
  }

  private static EnvelopeException mapStatus(HttpResponseException e, Call call, String what) {
    int status = e.getResponse().getStatusCode();
    String code = errorField(e.getValue(), false);
    String inner = errorField(e.getValue(), true);
    String codes = " (HTTP " + status + (code == null ? "" : " " + code) + (inner == null ? "" : "/" + inner) + ")";
    switch (status) {
      case 400:
        if (call == Call.UNWRAP) {
          // Key Vault answers BadParameter when the RSA decryption fails: altered, truncated or
          // foreign ciphertext. One exception for all of them, as for every decrypt failure.
          return new InvalidCiphertextException(e);
        }
        return new KmsException(what + " was rejected" + codes, false, e);
      case 401:
        return new AccessDeniedException(what + " was not authenticated: the vault refused the token" + codes, e);
      case 403:
        if (isDisabled(inner, e)) {
          return new KeyUnavailableException(what + ": the key version is disabled" + codes, e);
        }
        return new AccessDeniedException(what + " was refused: the identity lacks the permission" + codes, e);
      case 404:
        return new KeyUnavailableException(what + ": key or version not found" + codes, e);
      case 408:
      case 429:
        return new KmsException(what + " was throttled or timed out after retries" + codes, true, e);
      default:
        if (status >= 500 && status != 501 && status != 505) {
          return new KmsException(what + " failed after retries" + codes, true, e);
        }
        return new KmsException(what + " failed" + codes, false, e);
    }
  }

  private static boolean isDisabled(@Nullable String inner, HttpResponseException e) {
    if (inner != null) {
      return inner.equals("KeyDisabled");
    }
    // Older answers carry no inner code, only "Operation … is not allowed on a disabled key."
    String message = errorMessage(e.getValue());
    return message != null && message.toLowerCase(Locale.ROOT).contains("disabled key");
  }

  private static @Nullable Throwable ioCause(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof IOException || c instanceof UncheckedIOException) {
        return c instanceof UncheckedIOException u ? u.getCause() : c;
      }
    }
    return null;
  }

  @SuppressWarnings("unchecked")
  private static @Nullable Map<String, Object> error(@Nullable Object value) {
    if (value instanceof Map<?, ?> body && body.get("error") instanceof Map<?, ?> error) {
      return (Map<String, Object>) error;
    }
    return null;
  }

  static @Nullable String errorField(@Nullable Object value, boolean innermost) {
    Map<String, Object> error = error(value);
    if (error == null) {
      return null;
    }
    if (innermost) {
      return error.get("innererror") instanceof Map<?, ?> inner && inner.get("code") instanceof String s ? s : null;
    }
    return error.get("code") instanceof String s ? s : null;
  }

  private static @Nullable String errorMessage(@Nullable Object value) {
    Map<String, Object> error = error(value);
    return error != null && error.get("message") instanceof String s ? s : null;
  }
}
