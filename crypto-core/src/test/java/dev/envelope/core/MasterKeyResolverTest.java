package dev.envelope.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MasterKeyResolverTest {
  @ParameterizedTest
  @ValueSource(strings = {"1500ms", "1500MS", " 1500ms ", "PT1.5S", "pt1.5s"})
  void durationOption_millisOrIso_parses(String value) {
    assertThat(MasterKeyResolver.durationOption("x.deadline", value)).isEqualTo(Duration.ofMillis(1500));
  }

  @ParameterizedTest
  @ValueSource(strings = {"3s", "PT3S"})
  void durationOption_seconds_parses(String value) {
    assertThat(MasterKeyResolver.durationOption("x.deadline", value)).isEqualTo(Duration.ofSeconds(3));
  }

  @ParameterizedTest
  @ValueSource(strings = {"2m", "PT2M"})
  void durationOption_minutes_parses(String value) {
    assertThat(MasterKeyResolver.durationOption("x.deadline", value)).isEqualTo(Duration.ofMinutes(2));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "3", "soon", "0s", "-1s", "PT0S", "PT-1S", "1.5s", "3h", "s", "99999999999999999999s"})
  void durationOption_notAPositiveDuration_namesTheOption(String value) {
    assertThatThrownBy(() -> MasterKeyResolver.durationOption("aws-kms.deadline", value))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("aws-kms.deadline");
  }
}
