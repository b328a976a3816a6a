package dev.envelope.azure.internal;

import com.azure.core.exception.HttpResponseException;
import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.EnvelopeException;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.net.ssl.SSLException;
import reactor.core.Exceptions;

/**
 * Maps what the Azure SDK throws from Key Vault's secrets API onto Envelope's exceptions. Messages
 * name the secret, the status and Key Vault's error codes, never the service's free text or a value.
 */
public final class SecretErrors {
  private SecretErrors() {}

  /** True for Key Vault's answer to reading a disabled secret version (403, inner code SecretDisabled). */
  public static boolean isDisabled(Throwable thrown) {
    return Exceptions.unwrap(thrown) instanceof HttpResponseException e && e.getResponse() != null
        && e.getResponse().getStatusCode() == 403
        && "SecretDisabled".equals(KeyVaultErrors.errorField(e.getValue(), true));
  }

  public static EnvelopeException map(Throwable thrown, String operation, String what) {
    Throwable t = Exceptions.unwrap(thrown);
    String prefix = "Azure Key Vault " + operation + " for " + what;
    if (t instanceof HttpResponseException e) {
      if (e.getResponse() == null) {
        return new AccessDeniedException(prefix + ": no Azure credential could provide a token ("
            + e.getClass().getSimpleName() + ")", e);
      }
      int status = e.getResponse().getStatusCode();
      String code = KeyVaultErrors.errorField(e.getValue(), false);
      String inner = KeyVaultErrors.errorField(e.getValue(), true);
      String codes = " (HTTP " + status + (code == null ? "" : " " + code) + (inner == null ? "" : "/" + inner) + ")";
      if (status == 404) {
        return new SecretNotFoundException(what + " not found in Azure Key Vault" + codes, e);
      }
      if (status == 403 && "SecretDisabled".equals(inner)) {
        return new SecretNotFoundException(what + " is disabled in Azure Key Vault" + codes, e);
      }
      if (status == 401 || status == 403) {
        return new AccessDeniedException(prefix + " was refused" + codes, e);
      }
      boolean retryable = status == 408 || status == 429 || (status >= 500 && status != 501 && status != 505);
      return new KmsException(prefix + " failed" + (retryable ? " after retries" : "") + codes, retryable, e);
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof SSLException) {
        return new KmsException(prefix + " failed: TLS handshake refused (is the vault's certificate trusted?)",
            false, t);
      }
      if (c instanceof IOException || c instanceof UncheckedIOException) {
        return new KmsException(prefix + " failed: " + c.getClass().getSimpleName(), true, t);
      }
    }
    if (t instanceof EnvelopeException ee) {
      return ee;
    }
    return new KmsException(prefix + " failed: " + t.getClass().getSimpleName(), false, t);
  }
}
