package dev.envelope.rotation.internal;

import java.sql.SQLException;
import java.sql.SQLTransientException;
import java.util.Objects;
import java.util.regex.Pattern;

/** SQL text helpers. Identifiers are validated, never quoted, so each database folds case as usual. */
public final class Sql {
  private static final Pattern IDENT = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}");
  private static final Pattern QUALIFIED = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?");

  private Sql() {}

  /** Table and column names reach SQL text, so only plain identifiers pass. */
  public static String identifier(String name, String what, boolean qualified) {
    Objects.requireNonNull(name, what);
    if (!(qualified ? QUALIFIED : IDENT).matcher(name).matches()) {
      throw new IllegalArgumentException(what + " must be a plain SQL identifier (letters, digits, _"
          + (qualified ? ", optionally schema.name" : "") + ")");
    }
    return name;
  }

  /**
   * Deadlocks, serialization failures and lock timeouts: the batch rolled back as a whole and
   * running it again is safe.
   */
  static boolean isTransient(SQLException e) {
    for (SQLException s = e; s != null; s = s.getNextException()) {
      String state = s.getSQLState();
      if (s instanceof SQLTransientException || (state != null && (state.startsWith("40") || state.equals("55P03")))) {
        return true;
      }
    }
    return false;
  }
}
