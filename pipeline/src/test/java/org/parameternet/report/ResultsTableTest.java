package org.parameternet.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parameternet.data.OutputLock;
import org.parameternet.testing.LocalSpark;

/**
 * The results table writes only into its own folder, under its lock, replacing results.csv whole.
 */
class ResultsTableTest {
  static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = LocalSpark.start("results-table-test");
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  private static ResultRow row(String model, String date) {
    return row(model, date, "ckpt");
  }

  private static ResultRow row(String model, String date, String checkpoint) {
    return new ResultRow(
        model,
        0,
        "",
        "in1k",
        32,
        1000,
        1000,
        2000,
        0.5,
        0.9,
        1.0,
        Double.NaN,
        10.0,
        100,
        "raw",
        checkpoint,
        date,
        "abc");
  }

  @Test
  void appendsRowsAndLeavesNoTemporaries(@TempDir Path dir) throws IOException {
    Path table = dir.resolve("results");
    ResultsTable.append(spark, table.toUri().toString(), row("a", "2026-01-01"));
    ResultsTable.append(spark, table.toUri().toString(), row("b", "2026-01-02"));
    String csv = Files.readString(table.resolve("results.csv"));
    assertEquals(3, csv.strip().lines().count(), csv);
    try (Stream<Path> s = Files.list(table)) {
      assertTrue(
          s.noneMatch(
              p ->
                  p.getFileName().toString().contains("tmp")
                      || p.getFileName().toString().startsWith(".pnet-replacing-")),
          "no temporaries left");
    }
  }

  @Test
  void aUsersResultsCsvIsRefusedAndKept(@TempDir Path dir) throws IOException {
    Files.writeString(dir.resolve("results.csv"), "mine");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ResultsTable.append(spark, dir.toUri().toString(), row("a", "2026-01-01")));
    assertTrue(e.getMessage().contains("is not a pnet results table"), e.getMessage());
    assertEquals("mine", Files.readString(dir.resolve("results.csv")));
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(1, s.count(), "nothing written beside it");
    }
  }

  @Test
  void aTableAnotherEvaluationHoldsIsRefused(@TempDir Path dir) throws IOException {
    Path table = dir.resolve("results");
    ResultsTable.append(spark, table.toUri().toString(), row("a", "2026-01-01"));
    FileSystem fs = FileSystem.getLocal(new Configuration());
    try (OutputLock held =
        OutputLock.acquire(
            fs, new org.apache.hadoop.fs.Path(table.resolve(".pnet-results.lock").toUri()), "t")) {
      IllegalStateException e =
          assertThrows(
              IllegalStateException.class,
              () -> ResultsTable.append(spark, table.toUri().toString(), row("b", "2026-01-02")));
      assertTrue(e.getMessage().contains("in use"), e.getMessage());
    }
    assertEquals(2, Files.readString(table.resolve("results.csv")).strip().lines().count());
  }

  /** A report goes only where a report (or nothing) is; an earlier report is replaced whole. */
  @Test
  void aReportIsWrittenOnlyIntoAReportsFolder(@TempDir Path dir) throws IOException {
    String table = dir.resolve("results").toUri().toString();
    String checkpoint = dir.resolve("run/checkpoints/step-000000000001").toUri().toString();
    ResultsTable.append(spark, table, row("ghostnet_micro_32", "2026-01-01", checkpoint));
    Path users = Files.createDirectory(dir.resolve("users"));
    Files.writeString(users.resolve("report.md"), "mine");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> ReportJob.run(spark, table, users.toUri().toString()));
    assertTrue(e.getMessage().contains("is not a pnet report"), e.getMessage());
    assertEquals("mine", Files.readString(users.resolve("report.md")));

    Path report = dir.resolve("report");
    ReportJob.run(spark, table, report.toUri().toString());
    ReportJob.run(spark, table, report.toUri().toString());
    assertTrue(Files.readString(report.resolve("report.md")).contains("ghostnet_micro_32"));
    try (Stream<Path> s = Files.list(report)) {
      assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".pnet-replacing-")));
    }
  }
}
