package dev.envelope.secrets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SecretValueTest {
  static final String PASSWORD = "hunter2-Sup3rSecret";
  static final String RDS_JSON = "{\"username\":\"app\",\"password\":\"" + PASSWORD + "\","
      + "\"engine\":\"postgres\",\"host\":\"db.internal\",\"port\":5432,\"dbname\":\"orders\","
      + "\"dbInstanceIdentifier\":\"orders-1\"}";

  static SecretValue value(String s) {
    return SecretValue.ofString("prod/db", "v1", Set.of("AWSCURRENT"), s);
  }

  @Test
  void toString_showsMetadataNeverValue() {
    SecretValue v = value(PASSWORD);
    assertThat(v.toString())
        .doesNotContain(PASSWORD).doesNotContain("hunter2")
        .contains("prod/db", "v1", "AWSCURRENT", PASSWORD.length() + " bytes", "redacted");
  }

  @Test
  void asJson_dbCredentials_parsesFieldsAndIgnoresUnknown() {
    DbCredentials c = value(RDS_JSON).asJson(DbCredentials.class);
    assertThat(c).isEqualTo(new DbCredentials("app", PASSWORD, "db.internal", 5432, "orders", "postgres"));
  }

  @Test
  void asJson_portAsString_coerced() {
    DbCredentials c = value("{\"username\":\"u\",\"password\":\"p\",\"port\":\"6543\"}").asJson(DbCredentials.class);
    assertThat(c.port()).isEqualTo(6543);
    assertThat(c.host()).isNull();
  }

  @Test
  void dbCredentials_toString_redactsPassword() {
    DbCredentials c = value(RDS_JSON).asJson(DbCredentials.class);
    assertThat(c.toString()).doesNotContain(PASSWORD).doesNotContain("hunter2")
        .contains("app", "db.internal", "5432", "orders", "postgres", "redacted");
    assertThat(new DbCredentials("u", null, null, null, null, null).toString()).contains("password=null");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{\"password\": hunter2-Sup3rSecret}",            // not JSON: Jackson would quote the token
      "{\"username\":\"u\",\"port\":\"hunter2-Sup3rSecret\"}", // wrong type: Jackson would quote the value
      "{\"password\":\"hunter2-Sup3rSecret\"} trailing",  // trailing content
      "hunter2-Sup3rSecret",
      "[\"hunter2-Sup3rSecret\"]"})
  void asJson_malformed_errorNeverQuotesValue(String json) {
    assertThatThrownBy(() -> value(json).asJson(DbCredentials.class))
        .isInstanceOf(SecretFormatException.class)
        .hasNoCause()
        .hasMessageContaining("prod/db")
        .hasMessageNotContaining("hunter2")
        .hasMessageNotContaining("Sup3r");
  }

  @Test
  void asJson_wrongType_messageNamesField() {
    assertThatThrownBy(() -> value("{\"port\":\"x\"}").asJson(DbCredentials.class))
        .isInstanceOf(SecretFormatException.class)
        .hasMessageContaining("port")
        .hasMessageContaining("line 1");
  }

  @Test
  void asJson_map_works() {
    Map<?, ?> map = value("{\"a\":\"b\"}").asJson(Map.class);
    assertThat(map.get("a")).isEqualTo("b");
    assertThatThrownBy(() -> value("null").asJson(Map.class)).isInstanceOf(SecretFormatException.class);
  }

  @Test
  void asString_invalidUtf8_rejected() {
    SecretValue v = SecretValue.of("bin", "v1", Set.of(), new byte[] {(byte) 0xC3, (byte) 0x28});
    assertThatThrownBy(v::asString).isInstanceOf(SecretFormatException.class).hasMessageContaining("UTF-8");
    assertThat(v.asBytes()).containsExactly((byte) 0xC3, (byte) 0x28);
    assertThat(v.asSecretBytes().toByteArray()).containsExactly((byte) 0xC3, (byte) 0x28);
  }

  @Test
  void of_copiesInputAndOutput() {
    byte[] raw = {1, 2, 3};
    SecretValue v = SecretValue.of("n", "v", Set.of(), raw);
    raw[0] = 9;
    v.asBytes()[1] = 9;
    assertThat(v.asBytes()).containsExactly(1, 2, 3);
    assertThat(v.length()).isEqualTo(3);
  }

  @Test
  void equality_byNameVersionStagesAndValue() {
    assertThat(value("a")).isEqualTo(value("a")).hasSameHashCodeAs(value("a"));
    assertThat(value("a")).isNotEqualTo(value("b"));
    assertThat(value("a").sameValue(SecretValue.ofString("prod/db", "v1", Set.of(), "a"))).isTrue();
    assertThat(value("a").sameValue(SecretValue.ofString("prod/db", "v2", Set.of(), "a"))).isFalse();
  }

  @Test
  void of_tooLarge_rejected() {
    assertThatThrownBy(() -> SecretValue.of("n", "v", Set.of(), new byte[SecretValue.MAX_BYTES + 1]))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
