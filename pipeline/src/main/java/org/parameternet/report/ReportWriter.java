package org.parameternet.report;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Renders {@link StudyTables} as Markdown, CSV and a self-contained HTML page. */
public final class ReportWriter {
  private ReportWriter() {}

  private static final String[] HEADER = {
    "Model",
    "M",
    "Trained on",
    "Params",
    "FLOPs",
    "Top-1 (gain)",
    "Top-5",
    "Latency ms (ONNX)",
    "Latency ms (DL4J)",
    "Paper top-1"
  };

  private static final String[] ABLATION_HEADER = {
    "Model",
    "Added parameters",
    "Training params",
    "Inference params",
    "FLOPs",
    "Pretrained on",
    "Top-1, target only",
    "Top-1, pretrained",
    "Gain",
    "Paper 1K",
    "Paper 22K → 1K",
    "Paper gain"
  };

  private static final String ABLATION_NOTE =
      "One row per model: top-1 on the target data trained on it alone, and after pretraining and"
          + " finetuning on it; the gain is their difference. Inference parameters and FLOPs are"
          + " the network as deployed (RepConv's branches folded). The paper's columns are its"
          + " ImageNet figures for the same construction at 300M (224x224), beside ours for"
          + " comparison of the direction, not the level.";

  public static String markdown(StudyTables tables, List<String> chartFiles) {
    StringBuilder md = new StringBuilder("# Study report\n\n");
    md.append(
        "Top-1/top-5 in % on the evaluation data; the gain in brackets is the change in top-1 from"
            + " pretraining, against the same model trained on the finetuning data only (the"
            + " paper's Table 2). FLOPs are multiply-accumulates at the evaluation resolution;"
            + " latency is batch 1 on one CPU thread, in ONNX Runtime (the paper's method) and in"
            + " DL4J. \"Paper top-1\" is the paper's own ImageNet-1K"
            + " number for a model of the same name (224x224), for comparison only.\n\n");
    md.append("## Top-1 by model size\n\n");
    for (StudyTables.Section s : tables.sizes()) {
      md.append("### ").append(s.size()).append("\n\n");
      table(md, s.lines());
    }
    if (!tables.ablations().isEmpty()) {
      md.append("## Ablations\n\n").append(ABLATION_NOTE).append("\n\n");
      for (AblationTables.Ablation a : tables.ablations()) {
        md.append("### ").append(a.kind().title).append(", ").append(a.size()).append("\n\n");
        md.append("| ").append(String.join(" | ", ABLATION_HEADER)).append(" |\n");
        md.append("|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|\n");
        for (AblationTables.Row r : a.rows()) {
          md.append("| ").append(String.join(" | ", ablationCells(r))).append(" |\n");
        }
        md.append('\n');
      }
    }
    md.append(PaperResults.markdown());
    if (!chartFiles.isEmpty()) {
      md.append("## Charts\n\n");
      for (String f : chartFiles) {
        md.append("![").append(f).append("](").append(f).append(")\n\n");
      }
    }
    return md.toString();
  }

  private static void table(StringBuilder md, List<StudyTables.Line> lines) {
    md.append("| ").append(String.join(" | ", HEADER)).append(" |\n");
    md.append("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (StudyTables.Line l : lines) {
      md.append("| ").append(String.join(" | ", cells(l))).append(" |\n");
    }
    md.append('\n');
  }

  static List<String> cells(StudyTables.Line l) {
    ResultRow r = l.row();
    List<String> c = new ArrayList<>();
    c.add(r.model());
    c.add(r.experts() == 0 ? "–" : Integer.toString(r.experts()));
    c.add(l.data());
    c.add(String.format(Locale.ROOT, "%.2fM", r.params() / 1e6));
    c.add(String.format(Locale.ROOT, "%.1fM", r.flops() / 1e6));
    String top1 = String.format(Locale.ROOT, "%.1f", r.top1());
    if (!Double.isNaN(l.gain())) {
      top1 += String.format(Locale.ROOT, " (%+.1f)", l.gain());
    }
    c.add(top1);
    c.add(String.format(Locale.ROOT, "%.1f", r.top5()));
    c.add(
        Double.isNaN(r.onnxLatencyMs())
            ? ""
            : String.format(Locale.ROOT, "%.1f", r.onnxLatencyMs()));
    c.add(String.format(Locale.ROOT, "%.1f", r.latencyMs()));
    c.add(Double.isNaN(l.paperTop1()) ? "" : String.format(Locale.ROOT, "%.1f", l.paperTop1()));
    return c;
  }

  static List<String> ablationCells(AblationTables.Row r) {
    List<String> c = new ArrayList<>();
    c.add(r.model());
    c.add(r.added());
    c.add(String.format(Locale.ROOT, "%.2fM", r.params() / 1e6));
    c.add(String.format(Locale.ROOT, "%.2fM", r.inferenceParams() / 1e6));
    c.add(String.format(Locale.ROOT, "%.1fM", r.flops() / 1e6));
    c.add(r.pretrainData().isEmpty() ? "–" : r.pretrainData());
    c.add(oneDecimal(r.top1Target()));
    c.add(oneDecimal(r.top1Pretrained()));
    c.add(Double.isNaN(r.gain()) ? "" : String.format(Locale.ROOT, "%+.1f", r.gain()));
    c.add(oneDecimal(r.paperTarget()));
    c.add(oneDecimal(r.paperPretrained()));
    c.add(Double.isNaN(r.paperGain()) ? "" : String.format(Locale.ROOT, "%+.1f", r.paperGain()));
    return c;
  }

  private static String oneDecimal(double v) {
    return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.1f", v);
  }

  /** The ablation tables as CSV, one line per model and table, raw counts. */
  public static String ablationsCsv(StudyTables tables) {
    StringBuilder csv =
        new StringBuilder(
            "table,size,model,params,inference_params,flops,pretrain_data,target_data,"
                + "top1_target_only,top1_pretrained,gain,paper_top1_1k,paper_top1_22k\n");
    for (AblationTables.Ablation a : tables.ablations()) {
      for (AblationTables.Row r : a.rows()) {
        csv.append(
                String.join(
                    ",",
                    a.kind() == AblationTables.Kind.EXPERTS ? "table4" : "table6",
                    Csv.field(a.size()),
                    Csv.field(r.model()),
                    Long.toString(r.params()),
                    Long.toString(r.inferenceParams()),
                    Long.toString(r.flops()),
                    Csv.field(r.pretrainData()),
                    Csv.field(r.target()),
                    Csv.number(r.top1Target()),
                    Csv.number(r.top1Pretrained()),
                    Csv.number(r.gain()),
                    Csv.number(r.paperTarget()),
                    Csv.number(r.paperPretrained())))
            .append('\n');
      }
    }
    return csv.toString();
  }

  public static String csv(StudyTables tables) {
    StringBuilder csv =
        new StringBuilder(
            "section,model,experts,pretrain_data,finetune_data,params,flops,top1,top1_gain,top5,"
                + "onnx_latency_ms,latency_ms,paper_top1\n");
    for (StudyTables.Section s : tables.sizes()) {
      for (StudyTables.Line l : s.lines()) {
        ResultRow r = l.row();
        csv.append(
                String.join(
                    ",",
                    Csv.field(s.size()),
                    Csv.field(r.model()),
                    Integer.toString(r.experts()),
                    Csv.field(r.pretrainData()),
                    Csv.field(r.finetuneData()),
                    Long.toString(r.params()),
                    Long.toString(r.flops()),
                    Csv.number(r.top1()),
                    Csv.number(l.gain()),
                    Csv.number(r.top5()),
                    Csv.number(r.onnxLatencyMs()),
                    Csv.number(r.latencyMs()),
                    Csv.number(l.paperTop1())))
            .append('\n');
      }
    }
    return csv.toString();
  }

  /** One page: the tables and the charts (PNG, embedded), no external files. */
  public static String html(StudyTables tables, List<byte[]> chartPngs, List<String> titles) {
    StringBuilder h = new StringBuilder();
    h.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>Study report</title><style>")
        .append("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}")
        .append("table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #bbb;")
        .append("padding:4px 8px}td.n{text-align:right}th{background:#eee}img{max-width:100%}")
        .append("</style></head><body>\n<h1>Study report</h1>\n")
        .append("<p>Top-1/top-5 in % on the evaluation data; the gain in brackets is the change in")
        .append(" top-1 from pretraining against the same model trained on the finetuning data")
        .append(
            " only. Latency: batch 1, one CPU thread, in ONNX Runtime and in DL4J. Paper top-1: the paper's ImageNet-1K")
        .append(" number for a model of the same name, for comparison only.</p>\n");
    h.append("<h2>Top-1 by model size</h2>\n");
    for (StudyTables.Section s : tables.sizes()) {
      h.append("<h3>").append(escape(s.size())).append("</h3>\n");
      htmlTable(h, s.lines());
    }
    if (!tables.ablations().isEmpty()) {
      h.append("<h2>Ablations</h2>\n<p>").append(escape(ABLATION_NOTE)).append("</p>\n");
      for (AblationTables.Ablation a : tables.ablations()) {
        h.append("<h3>").append(escape(a.kind().title + ", " + a.size())).append("</h3>\n");
        List<List<String>> cells = new ArrayList<>();
        a.rows().forEach(r -> cells.add(ablationCells(r)));
        htmlTable(h, ABLATION_HEADER, cells, Set.of(0, 1, 5));
      }
    }
    if (!chartPngs.isEmpty()) {
      h.append("<h2>Charts</h2>\n");
      for (int i = 0; i < chartPngs.size(); i++) {
        h.append("<figure><img alt=\"")
            .append(escape(titles.get(i)))
            .append("\" src=\"data:image/png;base64,")
            .append(Base64.getEncoder().encodeToString(chartPngs.get(i)))
            .append("\"><figcaption>")
            .append(escape(titles.get(i)))
            .append("</figcaption></figure>\n");
      }
    }
    return h.append("</body></html>\n").toString();
  }

  private static void htmlTable(StringBuilder h, List<StudyTables.Line> lines) {
    List<List<String>> cells = new ArrayList<>();
    lines.forEach(l -> cells.add(cells(l)));
    htmlTable(h, HEADER, cells, Set.of(0, 2));
  }

  /** A table whose {@code textColumns} are left-aligned, the rest numbers. */
  private static void htmlTable(
      StringBuilder h, String[] header, List<List<String>> rows, Set<Integer> textColumns) {
    h.append("<table><tr>");
    for (String c : header) {
      h.append("<th>").append(escape(c)).append("</th>");
    }
    h.append("</tr>\n");
    for (List<String> row : rows) {
      h.append("<tr>");
      for (int i = 0; i < row.size(); i++) {
        h.append(textColumns.contains(i) ? "<td>" : "<td class=\"n\">")
            .append(escape(row.get(i)))
            .append("</td>");
      }
      h.append("</tr>\n");
    }
    h.append("</table>\n");
  }

  private static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
