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
 * on the 1K data only and pretrained then finetuned, with the top-1 gain of pretraining; the
 * experts ablation when several expert counts of one base were evaluated. The latest evaluation of
 * each (model, pretrain data, finetune data) is used.
 */
public final class StudyTables {
  private static final Pattern NAME = Pattern.compile("(ghostnet|parameternet)_(.+?)(?:_e(\\d+))?");

  /** A table row: the evaluation, and the gain of pretraining where it applies. */
  public record Line(ResultRow row, double gain, double paperTop1) {
    public boolean pretrained() {
      return !row.finetuneData().isEmpty();
    }

    public String data() {
      return pretrained() ? row.pretrainData() + " → " + row.finetuneData() : row.pretrainData();
    }
  }

  /** A section: all rows of one model size, e.g. {@code 300m} or {@code micro_32}. */
  public record Section(String size, List<Line> lines) {}

  private final List<Section> sizes;
  private final List<Section> experts;

  private StudyTables(List<Section> sizes, List<Section> experts) {
    this.sizes = sizes;
    this.experts = experts;
  }

  public List<Section> sizes() {
    return sizes;
  }

  public List<Section> experts() {
    return experts;
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
    Map<String, List<Line>> bySize = new TreeMap<>();
    Map<String, List<Line>> byBase = new TreeMap<>();
    for (ResultRow r : rows) {
      Matcher m = NAME.matcher(r.model());
      String size = m.matches() ? m.group(2) : r.model();
      Line line = line(r, rows);
      if (m.matches() && m.group(3) != null) {
        byBase.computeIfAbsent(size, k -> new ArrayList<>()).add(line);
        continue;
      }
      bySize.computeIfAbsent(size, k -> new ArrayList<>()).add(line);
      if (m.matches() && m.group(1).equals("parameternet")) {
        byBase.computeIfAbsent(size, k -> new ArrayList<>()).add(line);
      } else if (m.matches()) {
        byBase.computeIfAbsent(size, k -> new ArrayList<>()).add(line); // M = 1
      }
    }
    Comparator<Line> order =
        Comparator.comparing((Line l) -> l.row().experts())
            .thenComparing(l -> l.row().model())
            .thenComparing(Line::pretrained)
            .thenComparing(Line::data);
    List<Section> sizes = new ArrayList<>();
    bySize.forEach(
        (size, lines) -> {
          lines.sort(
              Comparator.comparing((Line l) -> l.row().model().startsWith("parameternet"))
                  .thenComparing(l -> l.row().model())
                  .thenComparing(Line::pretrained)
                  .thenComparing(Line::data));
          sizes.add(new Section(size, lines));
        });
    List<Section> experts = new ArrayList<>();
    byBase.forEach(
        (size, lines) -> {
          long counts = lines.stream().map(l -> l.row().experts()).distinct().count();
          if (counts >= 3) {
            lines.sort(order);
            experts.add(new Section(size, lines));
          }
        });
    return new StudyTables(sizes, experts);
  }

  private static Line line(ResultRow r, List<ResultRow> rows) {
    double gain = Double.NaN;
    if (!r.finetuneData().isEmpty()) {
      for (ResultRow other : rows) {
        if (other.model().equals(r.model())
            && other.finetuneData().isEmpty()
            && other.pretrainData().equals(r.finetuneData())) {
          gain = r.top1() - other.top1();
        }
      }
    }
    double paper =
        r.finetuneData().isEmpty()
            ? PaperResults.scratch(r.model())
            : PaperResults.pretrained(r.model());
    return new Line(r, gain, paper);
  }
}
