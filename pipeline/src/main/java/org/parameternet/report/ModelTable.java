package org.parameternet.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.parameternet.model.ModelSpec;
import org.parameternet.model.cost.CostCounter;
import org.parameternet.model.cost.ModelCost;

/**
 * The params/FLOPs table of a list of models, as Markdown or CSV: training and inference parameters
 * (they differ for RepConv, whose branches fold for inference) and the FLOPs of the network as
 * deployed.
 */
public final class ModelTable {
  public static final String CSV_HEADER =
      "model,experts,branches,params,inference_params,flops,resolution,classes";

  /** One row: a spec and its counted cost. */
  public record Row(ModelSpec spec, ModelCost cost) {}

  private final List<Row> rows;

  private ModelTable(List<Row> rows) {
    this.rows = List.copyOf(rows);
  }

  public static ModelTable of(List<ModelSpec> specs) {
    List<Row> rows = new ArrayList<>();
    for (ModelSpec spec : specs) {
      rows.add(new Row(spec, CostCounter.count(spec)));
    }
    return new ModelTable(rows);
  }

  public List<Row> rows() {
    return rows;
  }

  /** Raw integer counts, one line per model. */
  public String toCsv() {
    StringBuilder out = new StringBuilder(CSV_HEADER).append('\n');
    for (Row r : rows) {
      out.append(
          String.join(
              ",",
              r.spec().name(),
              Integer.toString(r.spec().experts()),
              Integer.toString(r.spec().branches()),
              Long.toString(r.cost().params()),
              Long.toString(r.cost().inferenceParams()),
              Long.toString(r.cost().macs()),
              Integer.toString(r.spec().resolution()),
              Integer.toString(r.spec().numClasses())));
      out.append('\n');
    }
    return out.toString();
  }

  /** Params and FLOPs in millions with the paper's rounding (params 0.1M, FLOPs 1M). */
  public String toMarkdown() {
    StringBuilder out = new StringBuilder();
    out.append(
        "| model | added parameters | training params | inference params | FLOPs | resolution |"
            + " classes |\n");
    out.append("|---|---|---:|---:|---:|---:|---:|\n");
    for (Row r : rows) {
      out.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %sM | %sM | %sM | %d | %d |%n",
              r.spec().name(),
              expansion(r.spec()),
              formatParams(r.cost().params()),
              formatParams(r.cost().inferenceParams()),
              formatMillions(r.cost().macs()),
              r.spec().resolution(),
              r.spec().numClasses()));
    }
    return out.toString();
  }

  /** How the model adds parameters to GhostNet: none, dynamic experts, or folded branches. */
  public static String expansion(ModelSpec spec) {
    if (spec.experts() > 0) {
      return spec.experts() + " experts";
    }
    return spec.isReparameterised() ? spec.branches() + " branches (RepConv)" : "none";
  }

  /** 0.1M like the paper from 1M up; more digits below, where 0.1M hides the differences. */
  private static String formatParams(long count) {
    double millions = count / 1e6;
    return String.format(Locale.ROOT, millions >= 1 ? "%.1f" : "%.3f", millions);
  }

  private static String formatMillions(long count) {
    double millions = count / 1e6;
    return millions >= 10
        ? String.format(Locale.ROOT, "%.0f", millions)
        : String.format(Locale.ROOT, "%.2f", millions);
  }
}
