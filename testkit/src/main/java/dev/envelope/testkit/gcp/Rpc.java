package dev.envelope.testkit.gcp;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import java.time.Instant;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * Builds gRPC service definitions straight from the proto messages: the generated
 * {@code grpc-google-cloud-*-v1} service bases are not on the registry this project uses, and a
 * service needs nothing from them but the method names and marshallers.
 */
final class Rpc {
  private static final Pattern STATE_FILTER = Pattern.compile("\\s*state\\s*[:=]\\s*([A-Z_]+)\\s*");

  private Rpc() {}

  /** Handles one unary call; throws {@link StatusRuntimeException} for an API error. */
  @FunctionalInterface
  interface Handler<Q, R> {
    R handle(Q request);
  }

  /** Adds a unary method whose request and response types are the given proto messages. */
  static <Q extends Message, R extends Message> void unary(ServerServiceDefinition.Builder service,
      String serviceName, String method, Q requestPrototype, R responsePrototype, Handler<Q, R> handler) {
    MethodDescriptor<Q, R> descriptor = MethodDescriptor.<Q, R>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(MethodDescriptor.generateFullMethodName(serviceName, method))
        .setRequestMarshaller(ProtoUtils.marshaller(requestPrototype))
        .setResponseMarshaller(ProtoUtils.marshaller(responsePrototype))
        .build();
    service.addMethod(descriptor, ServerCalls.asyncUnaryCall((request, observer) -> {
      R response;
      try {
        response = handler.handle(request);
      } catch (StatusRuntimeException e) {
        observer.onError(e);
        return;
      } catch (RuntimeException e) {
        // A bug in the fake, not an API answer: say so without echoing request data.
        observer.onError(Status.INTERNAL.withDescription("fake failed: " + e.getClass().getName()).asRuntimeException());
        return;
      }
      observer.onNext(response);
      observer.onCompleted();
    }));
  }

  static StatusRuntimeException invalidArgument(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException notFound(String message) {
    return Status.NOT_FOUND.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException alreadyExists(String message) {
    return Status.ALREADY_EXISTS.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException failedPrecondition(String message) {
    return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException unimplemented(String message) {
    return Status.UNIMPLEMENTED.withDescription(message).asRuntimeException();
  }

  static StatusRuntimeException aborted(String message) {
    return Status.ABORTED.withDescription(message).asRuntimeException();
  }

  /** CRC32C as the Google APIs carry it: a non-negative int64 below 2^32. */
  static long crc32c(ByteString data) {
    CRC32C crc = new CRC32C();
    crc.update(data.asReadOnlyByteBuffer());
    return crc.getValue();
  }

  static long crc32c(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    return crc.getValue();
  }

  /** A CRC32C that is certainly wrong but still in range, for injected corruption. */
  static long corrupt(long crc) {
    return crc ^ 0x5A5A5A5AL;
  }

  static Timestamp timestamp(Instant t) {
    return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
  }

  /**
   * One page of a list call's answer.
   *
   * @param items the page's items
   * @param nextPageToken the token of the next page, empty on the last one
   * @param totalSize the size of the whole list
   */
  record Page<T>(List<T> items, String nextPageToken, int totalSize) {}

  /**
   * The page of {@code all} that {@code pageToken} and {@code pageSize} ask for: page tokens are
   * offsets (anything else is rejected like a stale token), and a page size of 0 means
   * {@code maxPageSize}.
   */
  static <T> Page<T> page(List<T> all, String pageToken, int pageSize, int maxPageSize) {
    int start = pageStart(pageToken, all.size());
    int end = pageEnd(start, pageSize, all.size(), maxPageSize);
    return new Page<>(all.subList(start, end), end < all.size() ? Integer.toString(end) : "", all.size());
  }

  private static int pageStart(String token, int total) {
    if (token.isEmpty()) {
      return 0;
    }
    try {
      int start = Integer.parseInt(token);
      if (start < 0 || start > total) {
        throw invalidArgument("invalid page token");
      }
      return start;
    } catch (NumberFormatException e) {
      throw invalidArgument("invalid page token");
    }
  }

  private static int pageEnd(int start, int pageSize, int total, int maxPageSize) {
    if (pageSize < 0) {
      throw invalidArgument("page_size must not be negative");
    }
    int size = pageSize == 0 ? maxPageSize : Math.min(pageSize, maxPageSize);
    return (int) Math.min((long) start + size, total);
  }

  /**
   * The state a list filter asks for, or null for a blank filter. Supports {@code state=S} and
   * {@code state:S} (with optional spaces); any other filter is UNIMPLEMENTED, naming
   * {@code example}, and an unknown state INVALID_ARGUMENT.
   */
  static <E extends Enum<E>> E stateFilter(String filter, Class<E> states, String example) {
    if (filter.isBlank()) {
      return null;
    }
    Matcher m = STATE_FILTER.matcher(filter);
    if (!m.matches()) {
      throw unimplemented("the fake supports only state filters, e.g. " + example);
    }
    try {
      return Enum.valueOf(states, m.group(1));
    } catch (IllegalArgumentException e) {
      throw invalidArgument("invalid filter: unknown state " + m.group(1));
    }
  }
}
