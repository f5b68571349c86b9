package org.parameternet.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.knowm.xchart.XYChart;
import org.w3c.dom.Document;

/** The report's tables for fixed result rows (golden files), its gain column and its charts. */
class StudyReportTest {
  static final List<ResultRow> ROWS =
      List.of(
          row("ghostnet_300m", 0, "in1k", "", 8_600_000, 289_000_000, 76.0, 12.0, "2026-01-02"),
          row(
              "ghostnet_300m",
              0,
              "in22k",
              "in1k",
              8_600_000,
              289_000_000,
              75.5,
              12.0,
              "2026-01-03"),
          // an older evaluation of the same run: the newer one below wins
          row(
              "parameternet_300m",
              4,
              "in1k",
              "",
              15_700_000,
              298_000_000,
              70.0,
              13.0,
              "2026-01-01"),
          row(
              "parameternet_300m",
              4,
              "in1k",
              "",
              15_700_000,
              298_000_000,
              77.0,
              13.0,
              "2026-01-04"),
          row(
              "parameternet_300m",
              4,
              "in22k",
              "in1k",
              15_700_000,
              298_000_000,
              79.2,
              13.0,
              "2026-01-05"),
          row(
              "parameternet_300m_e2",
              2,
              "in1k",
              "",
              11_000_000,
              293_000_000,
              76.5,
              12.5,
              "2026-01-06"),
          row(
              "parameternet_300m_e8",
              8,
              "in22k",
              "in1k",
              25_200_000,
              308_000_000,
              79.5,
              14.0,
              "2026-01-07"),
          repConv("in1k", "", 76.6, "2026-01-08"),
          repConv("in22k", "in1k", 76.5, "2026-01-09"));

  /** RepConv trains 15.7M parameters and deploys GhostNet's 8.6M. */
  static ResultRow repConv(String pre, String ft, double top1, String date) {
    return row("repconv_300m", 0, pre, ft, 15_700_000, 8_600_000, 289_000_000, top1, 12.0, date);
  }

  static ResultRow row(
      String model,
      int experts,
      String pre,
      String ft,
      long params,
      long flops,
      double top1,
      double latency,
      String date) {
    return row(model, experts, pre, ft, params, params, flops, top1, latency, date);
  }

  static ResultRow row(
      String model,
      int experts,
      String pre,
      String ft,
      long params,
      long inferenceParams,
      long flops,
      double top1,
      double latency,
      String date) {
    return new ResultRow(
        model,
        experts,
        pre,
        ft,
        224,
        params,
        inferenceParams,
        flops,
        top1,
        top1 + 15,
        latency,
        latency / 2,
        100,
        50_000,
        "ema",
        "file:/runs/" + model + "/checkpoints/step-1",
        date,
        "abc1234");
  }

  private static String golden(String name) throws IOException {
    try (InputStream in = StudyReportTest.class.getResourceAsStream(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void tablesMatchTheGoldenFiles() throws IOException {
    StudyTables tables = StudyTables.of(ROWS);
    String md = ReportWriter.markdown(tables, List.of("charts/top1_vs_flops.svg"));
    String csv = ReportWriter.csv(tables);
    Path out = Path.of("target/report-test");
    Files.createDirectories(out);
    Files.writeString(out.resolve("report.md"), md);
    Files.writeString(out.resolve("report.csv"), csv);
    String ablations = ReportWriter.ablationsCsv(tables);
    Files.writeString(out.resolve("ablations.csv"), ablations);
    assertEquals(golden("golden-report.md"), md);
    assertEquals(golden("golden-report.csv"), csv);
    assertEquals(golden("golden-ablations.csv"), ablations);
  }

  @Test
  void theGainIsAgainstTheSameModelTrainedOnTheFinetuningDataAlone() {
    StudyTables tables = StudyTables.of(ROWS);
    StudyTables.Section s300 =
        tables.sizes().stream().filter(s -> s.size().equals("300m")).findFirst().orElseThrow();
    assertEquals(4, s300.lines().size());
    for (StudyTables.Line l : s300.lines()) {
      if (l.row().model().equals("parameternet_300m") && l.pretrained()) {
        assertEquals(2.2, l.gain(), 1e-9);
        assertEquals(79.1, l.paperTop1(), 0);
      } else if (l.row().model().equals("ghostnet_300m") && l.pretrained()) {
        assertEquals(-0.5, l.gain(), 1e-9);
      } else {
        assertTrue(Double.isNaN(l.gain()));
      }
    }
    // the ablations: one row per model, ordered by inference parameters
    AblationTables.Ablation experts = tables.ablations().get(0);
    assertEquals(AblationTables.Kind.EXPERTS, experts.kind());
    assertEquals(
        List.of(
            "ghostnet_300m", "parameternet_300m_e2", "parameternet_300m", "parameternet_300m_e8"),
        experts.rows().stream().map(AblationTables.Row::model).toList());
    AblationTables.Row pn = experts.rows().get(2);
    assertEquals(77.0, pn.top1Target(), 0);
    assertEquals(79.2, pn.top1Pretrained(), 0);
    assertEquals(2.2, pn.gain(), 1e-9);
    assertEquals(1.9, pn.paperGain(), 1e-9);
    // e2 was only trained on the target, e8 only pretrained: no gain either way
    assertTrue(Double.isNaN(experts.rows().get(1).gain()));
    assertTrue(Double.isNaN(experts.rows().get(3).top1Target()));
    assertEquals(79.5, experts.rows().get(3).top1Pretrained(), 0);
    AblationTables.Ablation table6 = tables.ablations().get(1);
    assertEquals(AblationTables.Kind.REPCONV, table6.kind());
    assertEquals(
        List.of("ghostnet_300m", "repconv_300m", "parameternet_300m"),
        table6.rows().stream().map(AblationTables.Row::model).toList());
    AblationTables.Row rep = table6.rows().get(1);
    assertEquals(15_700_000, rep.params());
    assertEquals(8_600_000, rep.inferenceParams());
    assertEquals(-0.1, rep.gain(), 1e-9);
    assertEquals(0.1, rep.paperGain(), 1e-9);
    assertEquals("4 branches (RepConv)", rep.added());
    // RepConv is an ablation, not a Table 2 row
    assertTrue(
        tables.sizes().stream()
            .flatMap(x -> x.lines().stream())
            .noneMatch(l -> l.row().model().startsWith("repconv")));
  }

  @Test
  void ablationChartsPlotTheGainOfEveryModelThatHasOne() {
    StudyTables tables = StudyTables.of(ROWS);
    XYChart table6 = ReportCharts.gainVsInferenceParams(tables.ablations().get(1));
    assertEquals(
        Set.of("ghostnet_300m · in22k", "repconv_300m · in22k", "parameternet_300m · in22k"),
        table6.getSeriesMap().keySet());
    assertEquals(8.6, table6.getSeriesMap().get("repconv_300m · in22k").getXData()[0], 1e-9);
    assertEquals(-0.1, table6.getSeriesMap().get("repconv_300m · in22k").getYData()[0], 1e-9);
  }

  @Test
  void chartsAreValidPngAndSvgWithTheExpectedSeries() throws Exception {
    StudyTables tables = StudyTables.of(ROWS);
    XYChart chart = ReportCharts.top1VsFlops(tables.sizes().get(0).lines());
    assertEquals(
        Set.of(
            "GhostNet · in1k",
            "GhostNet · in22k → in1k",
            "ParameterNet · in1k",
            "ParameterNet · in22k → in1k"),
        chart.getSeriesMap().keySet());
    byte[] png = ReportCharts.png(chart);
    var image = ImageIO.read(new ByteArrayInputStream(png));
    assertEquals(800, image.getWidth());
    assertEquals(520, image.getHeight());
    byte[] svg = ReportCharts.svg(chart);
    DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
    // the SVG names its DTD by URL; nothing may be fetched
    factory.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
    Document doc = factory.newDocumentBuilder().parse(new ByteArrayInputStream(svg));
    // VectorGraphics2D draws text as outlines: the SVG is all paths
    assertTrue(doc.getElementsByTagName("path").getLength() > 20, "the SVG draws the chart");
    assertEquals("svg", doc.getDocumentElement().getTagName());
    XYChart latency = ReportCharts.top1VsLatency(tables.sizes().get(0).lines());
    assertEquals(4, latency.getSeriesMap().size());
    XYChart curves =
        ReportCharts.lossCurves(
            new LinkedHashMap<>(
                Map.of("run-a", List.of(new double[] {1, 2.0}, new double[] {2, 1.0}))),
            10);
    assertEquals(
        Set.of("run-a"), curves.getSeriesMap().keySet().stream().collect(Collectors.toSet()));
    // moving average: (2 + 1) / 2 at step 2
    assertEquals(1.5, curves.getSeriesMap().get("run-a").getYData()[1], 1e-12);
  }
}
