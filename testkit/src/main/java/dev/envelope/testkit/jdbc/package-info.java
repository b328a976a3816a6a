/** JDBC helpers for tests of database credential rotation. */
package dev.envelope.testkit.jdbc;
