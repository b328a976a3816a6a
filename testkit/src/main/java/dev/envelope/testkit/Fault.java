package dev.envelope.testkit;

/**
 * What a fake does instead of answering one call normally. Each fake translates a fault into its
 * own protocol: {@link Throttle} becomes AWS {@code ThrottlingException} (HTTP 400), gRPC
 * {@code RESOURCE_EXHAUSTED} or HTTP 429; {@link ServerError} the protocol's generic internal
 * error (AWS {@code KMSInternalException} / {@code InternalServiceError}, HTTP 500, gRPC
 * {@code UNAVAILABLE}); {@link Error} the protocol error named by {@code code}.
 */
public sealed interface Fault permits Fault.Throttle, Fault.ServerError, Fault.Error, Fault.Timeout {

  /** The caller is rate limited. */
  record Throttle() implements Fault {}

  /** The service failed internally (5xx): retryable. */
  record ServerError() implements Fault {}

  /**
   * A named protocol error, e.g. {@code AccessDeniedException} for AWS or
   * {@code PERMISSION_DENIED} for gRPC. Each fake documents the codes it knows.
   */
  record Error(String code) implements Fault {
    public Error {
      if (code == null || code.isEmpty()) {
        throw new IllegalArgumentException("error code must not be empty");
      }
    }
  }

  /**
   * The call never gets an answer: the fake holds it until the fault is cleared or the fake
   * closes, then drops the connection. Clients see their own timeout.
   */
  record Timeout() implements Fault {}
}
