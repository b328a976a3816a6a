package dev.envelope.secrets.internal;

import java.sql.SQLException;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.Set;

/** Recognises "wrong user name or password" among the ways JDBC drivers report it. */
public final class AuthFailures {
  /** MySQL and MariaDB ER_ACCESS_DENIED_ERROR. */
  static final int MYSQL_ACCESS_DENIED = 1045;
  /** H2 ErrorCode.WRONG_USER_OR_PASSWORD. */
  static final int H2_WRONG_USER_OR_PASSWORD = 28000;
  private static final int MAX_VISITED = 64;

  private AuthFailures() {}

  /**
   * True when {@code e}, its causes or its chained exceptions say the credentials were rejected:
   * SQLState class 28 (invalid authorization specification; PostgreSQL 28P01 invalid password,
   * 28000), H2 error code 28000, MySQL/MariaDB error code 1045.
   */
  public static boolean isAuthFailure(SQLException e) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    Deque<Throwable> todo = new ArrayDeque<>();
    todo.add(e);
    while (!todo.isEmpty() && seen.size() < MAX_VISITED) {
      Throwable t = todo.poll();
      if (!seen.add(t)) {
        continue;
      }
      if (t instanceof SQLException s) {
        String state = s.getSQLState();
        if (state != null && state.startsWith("28")) {
          return true;
        }
        if (s.getErrorCode() == MYSQL_ACCESS_DENIED || s.getErrorCode() == H2_WRONG_USER_OR_PASSWORD) {
          return true;
        }
        if (s.getNextException() != null) {
          todo.add(s.getNextException());
        }
      }
      if (t.getCause() != null) {
        todo.add(t.getCause());
      }
    }
    return false;
  }
}
