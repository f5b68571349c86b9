package org.parameternet.report;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import org.knowm.xchart.XYChart;
import org.parameternet.data.AtomicFile;
import org.parameternet.data.OutputFolder;
import org.parameternet.data.OutputLock;
import org.parameternet.train.Metrics;
import org.parameternet.train.MetricsLog;
import org.parameternet.train.RunLayout;

/**
 * Turns a results table into {@code report.md}, {@code report.csv}, {@code report.html} and the
 * charts ({@code charts/*.png} and {@code .svg}) under one output directory.
 */
public final class ReportJob {
  private ReportJob() {}

  /** What was written. */
  public record Written(
      Path markdown, Path html, Path csv, Path ablationsCsv, List<Path> charts, String table) {}

  public static Written run(SparkSession spark, String results, String out) throws IOException {
    List<ResultRow> rows = ResultsTable.read(spark, results);
    if (rows.isEmpty()) {
      throw new IllegalArgumentException(results + " holds no results yet (run pnet evaluate)");
    }
    StudyTables tables = StudyTables.of(rows);
    List<StudyTables.Line> lines = new ArrayList<>();
    tables.sizes().forEach(s -> lines.addAll(s.lines()));
    // the ablations stay out of the Figure 5 lines: equal FLOPs would make them zig-zag

    Path dir = new Path(out);
    FileSystem fs = dir.getFileSystem(spark.sparkContext().hadoopConfiguration());
    OutputFolder.claim(
        fs,
        dir,
        ".pnet-report",
        "report.out",
        "a pnet report",
        (f, p) -> f.exists(new Path(p, "report.md")) && f.exists(new Path(p, "report.html")));
    try (OutputLock lock =
        OutputLock.acquire(fs, new Path(dir, ".pnet-report.lock"), "report " + out)) {
      return write(fs, dir, tables, lines, rows);
    }
  }

  private static Written write(
      FileSystem fs,
      Path dir,
      StudyTables tables,
      List<StudyTables.Line> lines,
      List<ResultRow> rows)
      throws IOException {
    fs.mkdirs(new Path(dir, "charts"));
    Map<String, XYChart> charts = new LinkedHashMap<>();
    charts.put("top1_vs_flops", ReportCharts.top1VsFlops(lines));
    charts.put("top1_vs_latency", ReportCharts.top1VsLatency(lines));
    for (AblationTables.Ablation a : tables.ablations()) {
      if (a.rows().stream().anyMatch(r -> !Double.isNaN(r.gain()))) {
        String table = a.kind() == AblationTables.Kind.EXPERTS ? "table4" : "table6";
        charts.put("gain_" + table + "_" + a.size(), ReportCharts.gainVsInferenceParams(a));
      }
    }
    Map<String, List<double[]>> curves = lossCurves(fs, rows);
    if (!curves.isEmpty()) {
      charts.put("loss_curves", ReportCharts.lossCurves(curves, 10));
    }
    List<Path> written = new ArrayList<>();
    List<byte[]> pngs = new ArrayList<>();
    List<String> titles = new ArrayList<>();
    List<String> files = new ArrayList<>();
    for (Map.Entry<String, XYChart> c : charts.entrySet()) {
      byte[] png = ReportCharts.png(c.getValue());
      Path pngPath = new Path(dir, "charts/" + c.getKey() + ".png");
      Path svgPath = new Path(dir, "charts/" + c.getKey() + ".svg");
      write(fs, pngPath, png);
      write(fs, svgPath, ReportCharts.svg(c.getValue()));
      written.add(pngPath);
      written.add(svgPath);
      pngs.add(png);
      titles.add(c.getValue().getTitle());
      files.add("charts/" + c.getKey() + ".svg");
    }
    String markdown = ReportWriter.markdown(tables, files);
    Path md = new Path(dir, "report.md");
    Path csv = new Path(dir, "report.csv");
    Path html = new Path(dir, "report.html");
    Path ablations = new Path(dir, "ablations.csv");
    write(fs, md, markdown.getBytes(StandardCharsets.UTF_8));
    write(fs, csv, ReportWriter.csv(tables).getBytes(StandardCharsets.UTF_8));
    write(fs, ablations, ReportWriter.ablationsCsv(tables).getBytes(StandardCharsets.UTF_8));
    write(fs, html, ReportWriter.html(tables, pngs, titles).getBytes(StandardCharsets.UTF_8));
    return new Written(md, html, csv, ablations, written, markdown);
  }

  /**
   * The step losses of every evaluated run, and of the pretraining runs finetuned ones started
   * from; named by run directory.
   */
  static Map<String, List<double[]>> lossCurves(FileSystem fs, List<ResultRow> rows)
      throws IOException {
    Map<String, List<double[]>> curves = new LinkedHashMap<>();
    List<Path> runs = new ArrayList<>();
    for (ResultRow r : rows) {
      RunLayout run = RunLayout.ofCheckpoint(new Path(r.checkpoint()));
      addRun(runs, run.out());
      Optional<RunLayout.Init> init = run.readInit(fs);
      if (init.isPresent()) {
        addRun(runs, RunLayout.ofCheckpoint(new Path(init.get().checkpoint())).out());
      }
    }
    for (Path run : runs) {
      List<double[]> points = new ArrayList<>();
      for (Metrics.Step step : MetricsLog.steps(fs, run)) {
        if (step.loss() == null) {
          continue; // a non-finite loss is logged as null
        }
        points.add(new double[] {step.iteration(), step.loss()});
      }
      if (!points.isEmpty()) {
        curves.put(run.getName(), points);
      }
    }
    return curves;
  }

  private static void addRun(List<Path> runs, Path run) {
    if (!runs.contains(run)) {
      runs.add(run);
    }
  }

  private static void write(FileSystem fs, Path path, byte[] bytes) throws IOException {
    AtomicFile.replace(fs, path, bytes);
  }
}
