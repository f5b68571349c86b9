package org.parameternet.jobs;

import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.parameternet.report.ReportJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pnet report}: the paper-style tables and charts of a results table. */
@Command(
    name = "report",
    mixinStandardHelpOptions = true,
    description =
        "Write report.md, report.csv, report.html and charts (PNG, SVG) from a results table.")
final class ReportCommand implements Callable<Integer> {
  @Option(names = "--results", required = true, description = "Results table directory.")
  String results;

  @Option(names = "--out", required = true, description = "Report directory.")
  String out;

  @Override
  public Integer call() throws Exception {
    SparkSession spark = SparkSessions.create("pnet report");
    try {
      print(ReportJob.run(spark, results, out));
      return 0;
    } finally {
      spark.stop();
    }
  }

  static void print(ReportJob.Written w) {
    System.out.println(w.table());
    System.out.println("report: " + w.html());
    System.out.println("        " + w.markdown());
    System.out.println("        " + w.csv());
    System.out.println("        " + w.ablationsCsv());
    System.out.println("charts: " + w.charts().get(0).getParent());
  }
}
