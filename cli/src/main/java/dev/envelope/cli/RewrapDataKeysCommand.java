package dev.envelope.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.envelope.core.FieldEncryptor;
import dev.envelope.core.JdbcDataKeyStore;
import dev.envelope.core.MasterKey;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import javax.sql.DataSource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Master-key rotation for encrypted columns (docs/fields.md §6): rewraps the rows of the field
 * data-key table, never the values. With AWS KMS the data keys never leave the KMS (ReEncrypt).
 */
@Command(name = "rewrap-data-keys", mixinStandardHelpOptions = true,
    description = {"Re-wrap every data key of a field data-key table (FieldEncryptor's JdbcDataKeyStore) under",
        "--to-key, after a master-key rotation. Field values are not read or written. Rows already under",
        "--to-key move to its current version; destroyed keys stay destroyed. Safe to run again. Exits 3 if",
        "some rows are wrapped under keys not given (they are left as they are and the rest is rewrapped)."})
final class RewrapDataKeysCommand implements Callable<Integer> {
  @Spec
  CommandSpec spec;

  @Mixin
  DatabaseOptions database;

  @Option(names = "--data-key-table", defaultValue = JdbcDataKeyStore.DEFAULT_TABLE, paramLabel = "TABLE",
      description = "The data-key table, optionally schema.table; default ${DEFAULT-VALUE}.")
  String table;

  @Option(names = "--to-key", required = true, paramLabel = "SCHEME:SPEC",
      description = "Master key every data key ends up wrapped under.")
  String toKey;

  @Option(names = "--from-key", paramLabel = "SCHEME:SPEC",
      description = "Master key the data keys are wrapped under now, repeatable; not needed when --to-key is a "
          + "newer version of the same key (local key files keep old versions).")
  List<String> fromKeys = new ArrayList<>();

  @Option(names = "--json", description = "Print the result as JSON on stdout.")
  boolean json;

  @Mixin
  KeyOptions.Providers providers;

  @Override
  public Integer call() throws Exception {
    DataSource dataSource = database.dataSource();
    requireTable(dataSource);
    MasterKey to = providers.resolve(List.of(toKey)).get(0);
    FieldEncryptor.Builder b = FieldEncryptor.builder().masterKey(to)
        .dataKeyStore(JdbcDataKeyStore.create(dataSource, table));
    if (!fromKeys.isEmpty()) {
      b.alsoDecryptWith(providers.resolve(fromKeys).toArray(new MasterKey[0]));
    }
    long rewrapped;
    try (FieldEncryptor fields = b.build()) {
      rewrapped = fields.rewrapDataKeys(to);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("job", "rewrap-data-keys");
      m.put("table", table);
      m.put("toKey", to.ref().toString());
      m.put("rewrapped", rewrapped);
      out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(m));
    } else {
      out.println("rewrapped " + rewrapped + " data keys of " + table + " under " + to.ref());
    }
    out.flush();
    return 0;
  }

  /** A mistyped table name must not create an empty data-key table as a side effect. */
  private void requireTable(DataSource dataSource) {
    if (!table.matches("[A-Za-z_][A-Za-z0-9_]{0,62}(\\.[A-Za-z_][A-Za-z0-9_]{0,62})?")) {
      throw new IllegalArgumentException("--data-key-table must be a plain SQL identifier, optionally schema.table");
    }
    try (Connection c = dataSource.getConnection(); Statement s = c.createStatement()) {
      s.executeQuery("SELECT id FROM " + table + " WHERE 1 = 0").close();
    } catch (SQLException e) {
      throw new IllegalArgumentException("no data-key table " + table + " in that database (SQLState "
          + e.getSQLState() + ")");
    }
  }
}
