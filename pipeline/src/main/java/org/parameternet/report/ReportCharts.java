package org.parameternet.report;

import java.awt.Color;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.VectorGraphicsEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The study's charts (XChart): top-1 against FLOPs and against latency, one line per model family
 * and training data (the paper's Figure 5), each ablation's gain against inference parameters, and
 * the training loss curves.
 */
public final class ReportCharts {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  private ReportCharts() {}

  public static XYChart top1VsFlops(List<StudyTables.Line> lines) {
    return top1Vs("Top-1 vs FLOPs", "MFLOPs", lines, l -> l.row().flops() / 1e6);
  }

  /** ONNX Runtime's latency, as the paper measured it; DL4J's for rows from before it existed. */
  public static XYChart top1VsLatency(List<StudyTables.Line> lines) {
    return top1Vs(
        "Top-1 vs latency (batch 1, one thread, ONNX Runtime)",
        "latency (ms)",
        lines,
        l -> Double.isNaN(l.row().onnxLatencyMs()) ? l.row().latencyMs() : l.row().onnxLatencyMs());
  }

  private static XYChart top1Vs(
      String title,
      String xTitle,
      List<StudyTables.Line> lines,
      ToDoubleFunction<StudyTables.Line> x) {
    XYChart chart =
        new XYChartBuilder()
            .width(800)
            .height(520)
            .title(title)
            .xAxisTitle(xTitle)
            .yAxisTitle("top-1 (%)")
            .build();
    Map<String, List<StudyTables.Line>> series = new TreeMap<>();
    for (StudyTables.Line l : lines) {
      String family = l.row().model().startsWith("parameternet") ? "ParameterNet" : "GhostNet";
      series.computeIfAbsent(family + " · " + l.data(), k -> new ArrayList<>()).add(l);
    }
    series.forEach(
        (name, points) -> {
          points.sort(Comparator.comparingDouble(x));
          double[] xs = points.stream().mapToDouble(x).toArray();
          double[] ys = points.stream().mapToDouble(l -> l.row().top1()).toArray();
          XYSeries s = chart.addSeries(name, xs, ys);
          s.setMarker(SeriesMarkers.CIRCLE);
        });
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setXAxisDecimalPattern("#,##0.0##");
    return chart;
  }

  /**
   * An ablation's gain from pretraining against inference parameters, one point per model (the
   * paper's argument: the gain follows the parameters a model keeps at inference).
   */
  public static XYChart gainVsInferenceParams(AblationTables.Ablation ablation) {
    XYChart chart =
        new XYChartBuilder()
            .width(800)
            .height(520)
            .title(ablation.kind().title + ", " + ablation.size() + ": gain from pretraining")
            .xAxisTitle("inference parameters (M)")
            .yAxisTitle("top-1 gain (points)")
            .build();
    for (AblationTables.Row r : ablation.rows()) {
      if (!Double.isNaN(r.gain())) {
        String name = r.model() + (r.pretrainData().isEmpty() ? "" : " · " + r.pretrainData());
        chart
            .addSeries(name, new double[] {r.inferenceParams() / 1e6}, new double[] {r.gain()})
            .setMarker(SeriesMarkers.CIRCLE);
      }
    }
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    chart.getStyler().setXAxisDecimalPattern("#,##0.0##");
    return chart;
  }

  /** Loss against update step, one series per run ({@code name -> [step, loss]} rows). */
  public static XYChart lossCurves(Map<String, List<double[]>> runs, int smoothing) {
    XYChart chart =
        new XYChartBuilder()
            .width(800)
            .height(520)
            .title("Training loss (moving average of " + smoothing + " steps)")
            .xAxisTitle("step")
            .yAxisTitle("loss")
            .build();
    runs.forEach(
        (name, points) -> {
          if (points.isEmpty()) {
            return;
          }
          double[] xs = new double[points.size()];
          double[] ys = new double[points.size()];
          double sum = 0;
          for (int i = 0; i < points.size(); i++) {
            sum += points.get(i)[1];
            if (i >= smoothing) {
              sum -= points.get(i - smoothing)[1];
            }
            xs[i] = points.get(i)[0];
            ys[i] = sum / Math.min(i + 1, smoothing);
          }
          chart.addSeries(name, xs, ys).setMarker(SeriesMarkers.NONE);
        });
    chart.getStyler().setChartBackgroundColor(Color.WHITE);
    return chart;
  }

  public static byte[] png(XYChart chart) throws IOException {
    return BitmapEncoder.getBitmapBytes(chart, BitmapEncoder.BitmapFormat.PNG);
  }

  public static byte[] svg(XYChart chart) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    VectorGraphicsEncoder.saveVectorGraphic(
        chart, out, VectorGraphicsEncoder.VectorGraphicsFormat.SVG);
    return out.toByteArray();
  }
}
