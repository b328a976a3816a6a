package dev.envelope.testkit.aws.internal;

import java.util.Set;

/**
 * An AWS JSON 1.1 error answer: {@code {"__type": TYPE, "message": …}} with the HTTP status the
 * service model gives the type (500 for the internal and dependency errors, 400 for the rest).
 */
public final class AwsError extends RuntimeException {
  private static final long serialVersionUID = 1L;
  /** Error types the KMS and Secrets Manager models declare with HTTP 500. */
  private static final Set<String> SERVER_ERRORS = Set.of("KMSInternalException", "DependencyTimeoutException",
      "KeyUnavailableException", "InternalServiceError", "InternalFailure", "ServiceUnavailable");

  private final String type;
  private final int status;

  public AwsError(String type, int status, String message) {
    super(message, null, false, false);
    this.type = type;
    this.status = status;
  }

  /** An error with the status the service model declares for {@code type}. */
  public static AwsError of(String type, String message) {
    return new AwsError(type, SERVER_ERRORS.contains(type) ? 500 : 400, message);
  }

  public String type() {
    return type;
  }

  public int status() {
    return status;
  }

  static AwsError validation(String message) {
    return of("ValidationException", message);
  }

  static AwsError notFound(String message) {
    return of("NotFoundException", message);
  }
}
