package dev.envelope.secrets.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.SQLException;
import java.sql.SQLInvalidAuthorizationSpecException;
import org.junit.jupiter.api.Test;

class AuthFailuresTest {
  @Test
  void isAuthFailure_knownStatesAndCodes_true() {
    assertThat(AuthFailures.isAuthFailure(new SQLException("pg", "28P01"))).isTrue();
    assertThat(AuthFailures.isAuthFailure(new SQLException("ansi", "28000"))).isTrue();
    assertThat(AuthFailures.isAuthFailure(new SQLException("h2", null, 28000))).isTrue();
    assertThat(AuthFailures.isAuthFailure(new SQLException("mariadb", "HY000", 1045))).isTrue();
    assertThat(AuthFailures.isAuthFailure(new SQLInvalidAuthorizationSpecException("x", "28000"))).isTrue();
  }

  @Test
  void isAuthFailure_nestedInCauseOrNextException_true() {
    SQLException outer = new SQLException("pool", "08001", new SQLException("inner", "28P01"));
    assertThat(AuthFailures.isAuthFailure(outer)).isTrue();
    SQLException chained = new SQLException("batch", "08006");
    chained.setNextException(new SQLException("next", "28000"));
    assertThat(AuthFailures.isAuthFailure(chained)).isTrue();
  }

  @Test
  void isAuthFailure_otherErrors_false() {
    assertThat(AuthFailures.isAuthFailure(new SQLException("refused", "08001"))).isFalse();
    assertThat(AuthFailures.isAuthFailure(new SQLException("no db", "3D000"))).isFalse();
    assertThat(AuthFailures.isAuthFailure(new SQLException("h2 db missing", "90146", 90146))).isFalse();
    assertThat(AuthFailures.isAuthFailure(new SQLException("no state"))).isFalse();
    SQLException self = new SQLException("loop", "08001");
    self.setNextException(self);
    assertThat(AuthFailures.isAuthFailure(self)).isFalse();
  }
}
