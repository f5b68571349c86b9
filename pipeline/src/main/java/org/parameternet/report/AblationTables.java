package org.parameternet.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import org.parameternet.model.ModelRegistry;
import org.parameternet.report.StudyTables.Line;

/**
 * The paper's ablations from a study's results, one row per model: Table 4 (GhostNet and
 * ParameterNet with 2, 4 and 8 experts) and Table 6 (GhostNet, RepConv and ParameterNet), each with
 * its parameters, FLOPs, top-1 on the target data alone, top-1 after pretraining and the gain,
 * beside the paper's row for the same construction at 300M.
 */
public final class AblationTables {
  /** Which of the paper's tables an ablation reproduces. */
  public enum Kind {
    EXPERTS("Experts (cf. the paper's Table 4)"),
    REPCONV("RepConv against DynamicConv (cf. the paper's Table 6)");

    public final String title;

    Kind(String title) {
      this.title = title;
    }
  }

  /**
   * One model in an ablation: its counts, top-1 on the target alone and after pretraining (NaN when
   * not evaluated), and the paper's two top-1s for the same construction at 300M (NaN where the
   * paper has none).
   */
  public record Row(
      String model,
      String added,
      long params,
      long inferenceParams,
      long flops,
      String pretrainData,
      String target,
      double top1Target,
      double top1Pretrained,
      double paperTarget,
      double paperPretrained) {
    public double gain() {
      return top1Pretrained - top1Target;
    }

    public double paperGain() {
      return paperPretrained - paperTarget;
    }
  }

  /** One ablation table at one model size ({@code 300m}, {@code micro_32}, ...). */
  public record Ablation(Kind kind, String size, List<Row> rows) {}

  private AblationTables() {}

  /**
   * The ablations {@code lines} (the latest evaluation of each model and data) support: experts
   * where three or more expert counts of one size were evaluated, RepConv where a RepConv model
   * was.
   */
  public static List<Ablation> of(List<Line> lines) {
    Map<String, List<Line>> bySize = new TreeMap<>();
    for (Line l : lines) {
      Matcher m = StudyTables.NAME.matcher(l.row().model());
      if (m.matches()) {
        bySize.computeIfAbsent(m.group(2), k -> new ArrayList<>()).add(l);
      }
    }
    List<Ablation> out = new ArrayList<>();
    bySize.forEach(
        (size, all) -> {
          List<Line> experts = all.stream().filter(l -> !isRepConv(l)).toList();
          if (experts.stream().map(l -> l.row().experts()).distinct().count() >= 3) {
            out.add(new Ablation(Kind.EXPERTS, size, rows(experts)));
          }
          if (all.stream().anyMatch(AblationTables::isRepConv)) {
            List<Line> table6 =
                all.stream().filter(l -> l.row().experts() == 0 || isBase(l, size)).toList();
            out.add(new Ablation(Kind.REPCONV, size, rows(table6)));
          }
        });
    return out;
  }

  private static boolean isRepConv(Line l) {
    return l.row().model().startsWith("repconv_");
  }

  /** ParameterNet of the default four experts, the paper's DynamicConv row. */
  private static boolean isBase(Line l, String size) {
    return l.row().model().equals("parameternet_" + size);
  }

  /**
   * One row per model and pretraining data: the pretrained evaluation beside the top-1 of the same
   * model trained on its finetuning data alone (which {@link StudyTables.Line} pairs with it); a
   * model never pretrained gets one row of its own.
   */
  private static List<Row> rows(List<Line> lines) {
    List<Row> rows = new ArrayList<>();
    for (Line l : lines) {
      if (l.pretrained() || !pretrainedLater(lines, l)) {
        rows.add(row(l));
      }
    }
    rows.sort(
        Comparator.comparingLong(Row::inferenceParams)
            .thenComparingLong(Row::params)
            .thenComparing(Row::model)
            .thenComparing(Row::pretrainData));
    return rows;
  }

  /** Whether a pretrained line of {@code alone}'s model was finetuned on its data. */
  private static boolean pretrainedLater(List<Line> lines, Line alone) {
    return lines.stream()
        .anyMatch(
            p ->
                p.pretrained()
                    && p.row().model().equals(alone.row().model())
                    && p.row().finetuneData().equals(alone.row().pretrainData()));
  }

  private static Row row(Line l) {
    ResultRow r = l.row();
    String paper = paperCounterpart(r.model());
    return new Row(
        r.model(),
        added(r),
        r.params(),
        r.inferenceParams(),
        r.flops(),
        l.pretrained() ? r.pretrainData() : "",
        l.pretrained() ? r.finetuneData() : r.pretrainData(),
        l.pretrained() ? l.targetOnlyTop1() : r.top1(),
        l.pretrained() ? r.top1() : Double.NaN,
        PaperResults.scratch(paper),
        PaperResults.pretrained(paper));
  }

  /** How the model adds parameters, from the registry (the row's experts for unknown names). */
  private static String added(ResultRow r) {
    if (ModelRegistry.names().contains(r.model())) {
      return ModelTable.expansion(ModelRegistry.get(r.model()));
    }
    return r.experts() > 0 ? r.experts() + " experts" : "none";
  }

  /** The paper's model of the same construction: {@code repconv_micro_32 -> repconv_300m}. */
  static String paperCounterpart(String model) {
    Matcher m = StudyTables.NAME.matcher(model);
    if (!m.matches()) {
      return model;
    }
    return m.group(1) + "_300m" + (m.group(3) == null ? "" : "_e" + m.group(3));
  }
}
