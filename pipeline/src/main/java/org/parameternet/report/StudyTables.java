package org.parameternet.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The paper-style tables of a results table: per model size, GhostNet and ParameterNet rows trained
 * on the 1K data only and pretrained then finetuned, with the top-1 gain of pretraining (Table 2);
 * and the ablations (Tables 4 and 6, {@link AblationTables}) where their models were evaluated. The
 * latest evaluation of each (model, pretrain data, finetune data) is used.
 */
public final class StudyTables {
  /**
   * A registry name: the family (group 1), the size ({@code 300m}, {@code micro_32}; group 2) and
   * the expert count of an {@code _e<M>} variant (group 3). {@link AblationTables} groups by it
   * too.
   */
  static final Pattern NAME = Pattern.compile("(ghostnet|parameternet|repconv)_(.+?)(?:_e(\\d+))?");

  /**
   * A table row: the evaluation, and for a pretrained one the top-1 of the same model trained on
   * its finetuning data alone (NaN when there is none, or for a row that is itself that run).
   */
  public record Line(ResultRow row, double targetOnlyTop1, double paperTop1) {
    public boolean pretrained() {
      return !row.finetuneData().isEmpty();
    }

    /** The gain of pretraining (the paper's Table 2), NaN where it does not apply. */
    public double gain() {
      return row.top1() - targetOnlyTop1;
    }

    public String data() {
      return pretrained() ? row.pretrainData() + " → " + row.finetuneData() : row.pretrainData();
    }
  }

  /** A section: all rows of one model size, e.g. {@code 300m} or {@code micro_32}. */
  public record Section(String size, List<Line> lines) {}

  private final List<Section> sizes;
  private final List<AblationTables.Ablation> ablations;

  private StudyTables(List<Section> sizes, List<AblationTables.Ablation> ablations) {
    this.sizes = sizes;
    this.ablations = ablations;
  }

  /** Table 2's sections: GhostNet and ParameterNet (four experts) by size. */
  public List<Section> sizes() {
    return sizes;
  }

  public List<AblationTables.Ablation> ablations() {
    return ablations;
  }

  public static StudyTables of(List<ResultRow> all) {
    Map<String, ResultRow> latest = new LinkedHashMap<>();
    for (ResultRow r : all) {
      String key = r.model() + "\u0000" + r.pretrainData() + "\u0000" + r.finetuneData();
      ResultRow seen = latest.get(key);
      if (seen == null || r.date().compareTo(seen.date()) >= 0) {
        latest.put(key, r);
      }
    }
    List<ResultRow> rows = new ArrayList<>(latest.values());
    List<Line> lines = new ArrayList<>();
    Map<String, List<Line>> bySize = new TreeMap<>();
    for (ResultRow r : rows) {
      Line line = line(r, rows);
      lines.add(line);
      Matcher m = NAME.matcher(r.model());
      if (!m.matches()) {
        bySize.computeIfAbsent(r.model(), k -> new ArrayList<>()).add(line);
      } else if (m.group(3) == null && !m.group(1).equals("repconv")) {
        bySize.computeIfAbsent(m.group(2), k -> new ArrayList<>()).add(line);
      }
    }
    List<Section> sizes = new ArrayList<>();
    bySize.forEach(
        (size, sectionLines) -> {
          sectionLines.sort(
              Comparator.comparing((Line l) -> l.row().model().startsWith("parameternet"))
                  .thenComparing(l -> l.row().model())
                  .thenComparing(Line::pretrained)
                  .thenComparing(Line::data));
          sizes.add(new Section(size, sectionLines));
        });
    return new StudyTables(sizes, AblationTables.of(lines));
  }

  private static Line line(ResultRow r, List<ResultRow> rows) {
    double targetOnly = Double.NaN;
    if (!r.finetuneData().isEmpty()) {
      for (ResultRow other : rows) {
        if (other.model().equals(r.model())
            && other.finetuneData().isEmpty()
            && other.pretrainData().equals(r.finetuneData())) {
          targetOnly = other.top1();
        }
      }
    }
    double paper =
        r.finetuneData().isEmpty()
            ? PaperResults.scratch(r.model())
            : PaperResults.pretrained(r.model());
    return new Line(r, targetOnly, paper);
  }
}
