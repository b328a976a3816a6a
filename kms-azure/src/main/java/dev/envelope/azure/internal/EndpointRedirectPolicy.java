package dev.envelope.azure.internal;

import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpPipelinePosition;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import reactor.core.publisher.Mono;

/**
 * Sends every request to another base URL (scheme, host, port) with the same path and query: a
 * key id naming {@code https://prod.vault.azure.net} can be served by a loopback fake.
 *
 * <p>It runs per retry, after the SDK's bearer-token policy, so the token and the challenge cache
 * are still keyed by the vault named in the key id, and the challenge's resource is checked
 * against that vault, not against the loopback host.
 */
public final class EndpointRedirectPolicy implements HttpPipelinePolicy {
  private final URI endpoint;

  public EndpointRedirectPolicy(URI endpoint) {
    this.endpoint = endpoint;
  }

  @Override
  public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
    HttpRequest original = context.getHttpRequest();
    context.setHttpRequest(redirected(original));
    // doOnTerminate runs before the answer reaches the policies upstream (doFinally would run after).
    return next.process()
        .doOnTerminate(() -> context.setHttpRequest(original))
        .doOnCancel(() -> context.setHttpRequest(original));
  }

  @Override
  public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
    HttpRequest original = context.getHttpRequest();
    context.setHttpRequest(redirected(original));
    try {
      return next.processSync();
    } finally {
      context.setHttpRequest(original);
    }
  }

  /**
   * A copy aimed at the endpoint. The original is put back afterwards because the bearer-token
   * policy before this one reads the request's URL again when a challenge comes back, and must see
   * the vault's host there, not the endpoint's.
   */
  private HttpRequest redirected(HttpRequest original) {
    URL url = original.getUrl();
    try {
      return original.copy().setUrl(new URL(endpoint.getScheme(), endpoint.getHost(), endpoint.getPort(),
          url.getFile()));
    } catch (MalformedURLException e) {
      throw new IllegalStateException("cannot redirect to the endpoint", e);
    }
  }

  @Override
  public HttpPipelinePosition getPipelinePosition() {
    return HttpPipelinePosition.PER_RETRY;
  }
}
