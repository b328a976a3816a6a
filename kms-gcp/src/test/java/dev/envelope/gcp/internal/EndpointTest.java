package dev.envelope.gcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EndpointTest {
  @ParameterizedTest
  @CsvSource({
      "127.0.0.1:8080, true",
      "127.1.2.3:1, true",
      "localhost:443, true",
      "LOCALHOST:443, true",
      "[::1]:9000, true",
      "10.0.0.1:443, false",
      "128.0.0.1:443, false",
      "999.0.0.1:443, false",
      "[2001:db8::1]:443, false",
      "cloudkms.googleapis.com:443, false",
      "localhost.example.com:443, false",
      "127.0.0.1.nip.io:443, false"})
  void isLoopback_onlyForLoopbackLiteralsAndLocalhost(String endpoint, boolean loopback) {
    assertThat(Endpoint.parse(endpoint).isLoopback()).isEqualTo(loopback);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "host", "host:", ":443", "host:0", "host:65536", "host:12a", "a:b:c", "[::1]", "[::1]443",
      "[zz]:1", "ho st:1", "http://host:443"})
  void parse_malformed_isRejected(String endpoint) {
    assertThatThrownBy(() -> Endpoint.parse(endpoint)).isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @CsvSource({"127.0.0.1:8080, 127.0.0.1:8080", "[::1]:9000, [::1]:9000"})
  void target_isWhatGrpcExpects(String endpoint, String target) {
    assertThat(Endpoint.parse(endpoint).target()).isEqualTo(target);
  }
}
