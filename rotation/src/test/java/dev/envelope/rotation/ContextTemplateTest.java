package dev.envelope.rotation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.envelope.core.EncryptionContext;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ContextTemplateTest {
  @Test
  void template_placeholdersAndLiterals_buildTheContext() {
    RowContext t = RowContext.template("table=users,id={id},scope=t-{tenant}/x");
    assertThat(t.columns()).containsExactly("tenant");
    EncryptionContext ctx = t.forRow(new Row(42L, Map.of("tenant", "acme")));
    assertThat(ctx).isEqualTo(EncryptionContext.of("table", "users", "id", "42", "scope", "t-acme/x"));
  }

  @Test
  void template_empty_givesEmptyContext() {
    assertThat(RowContext.template("").forRow(new Row("a", Map.of()))).isEqualTo(EncryptionContext.empty());
  }

  @Test
  void template_nullColumn_failsTheRow() {
    Map<String, String> cols = new HashMap<>();
    cols.put("tenant", null);
    RowContext t = RowContext.template("t={tenant}");
    assertThatThrownBy(() -> t.forRow(new Row(1L, cols))).isInstanceOf(IllegalStateException.class)
        .hasMessageNotContaining("acme");
  }

  @Test
  void template_malformed_throwsIllegalArgument() {
    for (String bad : new String[] {"noequals", "=v", "a={id", "a=id}", "a={x y}", "a=1,a=2", "{a}=1", "a={}"}) {
      assertThatThrownBy(() -> RowContext.template(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void row_undeclaredColumn_throws() {
    assertThatThrownBy(() -> new Row(1L, Map.of()).get("secret")).isInstanceOf(IllegalArgumentException.class);
    assertThat(new Row(1L, Map.of("a", "b")).toString()).isEqualTo("Row[id=1]");
  }
}
