package dev.envelope.azure.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.http.policy.HttpLogDetailLevel;
import com.azure.core.http.policy.HttpLogOptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

class HttpLoggingTest {
  @ParameterizedTest
  @CsvSource({"NONE, NONE", "BASIC, BASIC", "HEADERS, HEADERS", "BODY, BASIC", "BODY_AND_HEADERS, HEADERS"})
  void withoutBodies_anyLevel_dropsOnlyTheBody(HttpLogDetailLevel requested, HttpLogDetailLevel expected) {
    HttpLogOptions options = HttpLogging.withoutBodies(new HttpLogOptions().setLogLevel(requested));

    assertThat(options.getLogLevel()).isEqualTo(expected);
    assertThat(options.getLogLevel().shouldLogUrl()).isEqualTo(requested.shouldLogUrl());
    assertThat(options.getLogLevel().shouldLogHeaders()).isEqualTo(requested.shouldLogHeaders());
  }

  @ParameterizedTest
  @EnumSource(HttpLogDetailLevel.class)
  void withoutBodies_neverLogsBodies(HttpLogDetailLevel requested) {
    assertThat(HttpLogging.withoutBodies(new HttpLogOptions().setLogLevel(requested)).getLogLevel().shouldLogBody())
        .isFalse();
    assertThat(HttpLogging.withoutBodies().getLogLevel().shouldLogBody()).isFalse();
  }
}
