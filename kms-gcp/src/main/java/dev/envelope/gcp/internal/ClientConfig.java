package dev.envelope.gcp.internal;

import com.google.api.gax.core.BackgroundResource;
import com.google.api.gax.rpc.ClientSettings;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The settings {@code GcpKmsMasterKey.Builder} and {@code GcpSecretStore.Builder} have in common
 * (a caller's client or an endpoint override, and a deadline), their checks, and the client made
 * from them when the caller gives none.
 *
 * @param <C> the Google client type
 */
public final class ClientConfig<C extends BackgroundResource> {
  private @Nullable C client;
  private @Nullable Endpoint endpoint;
  private Duration deadline;

  public ClientConfig(Duration defaultDeadline) {
    this.deadline = defaultDeadline;
  }

  public void client(C client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** {@code host:port}; see {@link Endpoint#parse}. */
  public void endpoint(String endpoint) {
    this.endpoint = Endpoint.parse(Objects.requireNonNull(endpoint, "endpoint"));
  }

  /** More than zero and at most 10 minutes. */
  public void deadline(Duration deadline) {
    Objects.requireNonNull(deadline, "deadline");
    if (deadline.isNegative() || deadline.isZero() || deadline.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException("deadline must be > 0 and at most 10 minutes");
    }
    this.deadline = deadline;
  }

  public Duration deadline() {
    return deadline;
  }

  /** Creates a client from settings built by the Google library. */
  @FunctionalInterface
  public interface Factory<S, C> {
    C create(S settings) throws IOException;
  }

  /**
   * With gRPC's frame logging silenced ({@link FrameLogging}): the caller's client, which stays theirs to close, or a new one from Application Default
   * Credentials (and the endpoint override, if any), which the owner closes.
   *
   * @param newSettings makes a settings builder of the client's service (only called when a
   *     client is created here)
   * @param service the service's name in the error message, e.g. {@code "Cloud KMS"}
   * @throws IllegalStateException if both a client and an endpoint were set, or the client cannot
   *     be created (no Application Default Credentials)
   */
  public <S extends ClientSettings<S>, B extends ClientSettings.Builder<S, B>> Held<C> resolve(
      Supplier<B> newSettings, Factory<S, C> factory, String service) {
    // Passed-in clients too: they use the same process-wide gRPC transport and its frame logger.
    FrameLogging.silence();
    if (client != null && endpoint != null) {
      throw new IllegalStateException("set either client or endpoint, not both: configure the client's endpoint instead");
    }
    if (client != null) {
      return new Held<>(client, false);
    }
    B settings = newSettings.get();
    if (endpoint != null) {
      GoogleClients.applyEndpoint(settings, endpoint);
    }
    try {
      return new Held<>(factory.create(settings.build()), true);
    } catch (IOException e) {
      throw new IllegalStateException("could not create the " + service + " client: are Application Default "
          + "Credentials configured (GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, "
          + "or a metadata server)?", e);
    }
  }

  /**
   * A client and whether this library created it (and so must close it).
   *
   * @param owned true when the client was created here, false when a caller passed it in
   */
  public record Held<C extends BackgroundResource>(C client, boolean owned) {
    /** Closes the client if it is owned, waiting a little for its channels to shut down. */
    public void closeIfOwned() {
      if (owned) {
        try {
          client.close();
        } catch (RuntimeException e) {
          throw e;
        } catch (Exception e) {
          // Google's generated clients declare no checked exception on close(); the interface does.
          throw new IllegalStateException("could not close the client", e);
        }
        try {
          client.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
