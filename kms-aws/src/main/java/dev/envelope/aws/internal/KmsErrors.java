package dev.envelope.aws.internal;

import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.EnvelopeException;
import dev.envelope.core.InvalidCiphertextException;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.KmsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Maps what the AWS SDK throws, after its own retries, onto Envelope's exceptions. Messages name
 * the operation, the key and AWS's error code, never context values or key material; the SDK
 * exception stays attached as the cause.
 */
public final class KmsErrors {
  private static final Set<String> KEY_UNAVAILABLE = Set.of("DisabledException", "KMSInvalidStateException",
      "NotFoundException");
  private static final Set<String> ACCESS_DENIED = Set.of("AccessDeniedException", "AccessDenied",
      "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignature", "InvalidClientTokenId",
      "MissingAuthenticationToken", "SignatureDoesNotMatch", "ExpiredTokenException");
  private static final Set<String> INVALID_CIPHERTEXT = Set.of("InvalidCiphertextException", "IncorrectKeyException");
  /** Transient by the KMS API reference ("the request can be retried"). */
  private static final Set<String> TRANSIENT = Set.of("KMSInternalException", "DependencyTimeoutException",
      "KeyUnavailableException", "ThrottlingException", "Throttling", "ThrottledException",
      "TooManyRequestsException", "RequestLimitExceeded", "RequestTimeout", "RequestTimeoutException");

  private KmsErrors() {}

  public static EnvelopeException map(String operation, String keyId, SdkException e) {
    String what = "AWS KMS " + operation + " with key " + keyId;
    if (e instanceof AwsServiceException ase) {
      String code = ase.awsErrorDetails() == null || ase.awsErrorDetails().errorCode() == null ? ""
          : ase.awsErrorDetails().errorCode();
      int status = ase.statusCode();
      String detail = what + " failed: " + (code.isEmpty() ? "HTTP " + status : code + " (HTTP " + status + ")");
      if (INVALID_CIPHERTEXT.contains(code)) {
        return new InvalidCiphertextException(e);
      }
      if (KEY_UNAVAILABLE.contains(code)) {
        return new KeyUnavailableException(detail, e);
      }
      if (ACCESS_DENIED.contains(code)) {
        return new AccessDeniedException(detail, e);
      }
      boolean retryable = TRANSIENT.contains(code) || ase.isThrottlingException() || status >= 500 || status == 429;
      return new KmsException(detail, retryable, e);
    }
    if (e instanceof ApiCallTimeoutException) {
      return new KmsException(what + " did not finish within its deadline", true, e);
    }
    if (e instanceof ApiCallAttemptTimeoutException) {
      return new KmsException(what + " timed out", true, e);
    }
    if (e instanceof SdkClientException && (e.retryable() || ioCause(e))) {
      return new KmsException(what + " failed: could not reach AWS KMS", true, e);
    }
    return new KmsException(what + " failed: " + e.getClass().getSimpleName(), false, e);
  }

  private static boolean ioCause(Throwable e) {
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      if (c instanceof IOException || c instanceof UncheckedIOException) {
        return true;
      }
    }
    return false;
  }
}
