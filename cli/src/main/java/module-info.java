/** The envelope command line. */
module dev.envelope.cli {
  requires dev.envelope.core;
  requires dev.envelope.rotation;
  requires me.tongfei.progressbar;
  requires dev.envelope.secrets;
  requires info.picocli;
  requires java.sql;
  requires com.h2database;
  requires com.fasterxml.jackson.databind;

  opens dev.envelope.cli to info.picocli;
}
