package dev.envelope.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class VersionTest {
  @Test
  void factories_valuesAndEquality() {
    assertThat(Version.current().kind()).isEqualTo(Version.Kind.CURRENT);
    assertThat(Version.current().value()).isNull();
    assertThat(Version.id("abc")).isEqualTo(Version.id("abc")).hasSameHashCodeAs(Version.id("abc"));
    assertThat(Version.id("abc")).isNotEqualTo(Version.stage("abc"));
    assertThat(Version.stage("AWSCURRENT").value()).isEqualTo("AWSCURRENT");
    assertThat(Version.pending()).hasToString("pending");
    assertThat(Version.id("7")).hasToString("id:7");
  }

  @Test
  void factories_blankOrControlCharacters_rejected() {
    assertThatThrownBy(() -> Version.id(" ")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Version.stage("a\u0000")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Version.id("x".repeat(257))).isInstanceOf(IllegalArgumentException.class);
  }
}
