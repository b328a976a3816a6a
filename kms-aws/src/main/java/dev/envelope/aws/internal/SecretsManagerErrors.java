package dev.envelope.aws.internal;

import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.EnvelopeException;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Set;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Maps what the AWS SDK throws from Secrets Manager, after its own retries, onto Envelope's
 * exceptions. Messages name the operation, the secret and AWS's error code; AWS's own message stays
 * in the cause (it names resources, never values).
 */
public final class SecretsManagerErrors {
  private static final Set<String> ACCESS_DENIED = Set.of("AccessDeniedException", "AccessDenied",
      "UnrecognizedClientException", "InvalidSignatureException", "IncompleteSignature", "InvalidClientTokenId",
      "MissingAuthenticationToken", "SignatureDoesNotMatch", "ExpiredTokenException");
  private static final Set<String> TRANSIENT = Set.of("InternalServiceError", "ThrottlingException", "Throttling",
      "ThrottledException", "TooManyRequestsException", "RequestLimitExceeded", "RequestTimeout",
      "RequestTimeoutException", "ServiceUnavailable");

  private SecretsManagerErrors() {}

  public static EnvelopeException map(String operation, String what, SdkException e) {
    String prefix = "AWS Secrets Manager " + operation + " for " + what;
    if (e instanceof AwsServiceException ase) {
      String code = ase.awsErrorDetails() == null || ase.awsErrorDetails().errorCode() == null ? ""
          : ase.awsErrorDetails().errorCode();
      int status = ase.statusCode();
      String detail = prefix + " failed: " + (code.isEmpty() ? "HTTP " + status : code + " (HTTP " + status + ")");
      if (code.equals("ResourceNotFoundException")) {
        return new SecretNotFoundException(what + " not found in AWS Secrets Manager (" + operation + ": " + code + ")", e);
      }
      if (code.equals("InvalidRequestException") && operation.equals("GetSecretValue")) {
        // GetSecretValue answers this for a secret scheduled for deletion: it cannot be read.
        return new SecretNotFoundException(what + " is not readable in AWS Secrets Manager (" + code
            + ", e.g. scheduled for deletion)", e);
      }
      if (ACCESS_DENIED.contains(code) || status == 403) {
        return new AccessDeniedException(detail, e);
      }
      boolean retryable = TRANSIENT.contains(code) || ase.isThrottlingException() || status >= 500 || status == 429;
      return new KmsException(detail, retryable, e);
    }
    if (e instanceof ApiCallTimeoutException) {
      return new KmsException(prefix + " did not finish within its deadline", true, e);
    }
    if (e instanceof ApiCallAttemptTimeoutException) {
      return new KmsException(prefix + " timed out", true, e);
    }
    if (e instanceof SdkClientException && (e.retryable() || ioCause(e))) {
      return new KmsException(prefix + " failed: could not reach AWS Secrets Manager", true, e);
    }
    return new KmsException(prefix + " failed: " + e.getClass().getSimpleName(), false, e);
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
