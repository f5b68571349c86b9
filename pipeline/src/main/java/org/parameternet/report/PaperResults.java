package org.parameternet.report;

import java.util.Locale;
import java.util.Map;

/**
 * The paper's ImageNet-1K val top-1 at 224x224 (Han et al., Tables 2, 4 and 6), by our registry
 * names: {1K only, 22K pretrained then finetuned on 1K}.
 */
public final class PaperResults {
  private static final Map<String, double[]> TOP1 =
      Map.of(
          "ghostnet_300m", new double[] {76.3, 75.7},
          "parameternet_300m_e2", new double[] {76.9, 77.7},
          "parameternet_300m", new double[] {77.2, 79.1},
          "parameternet_300m_e8", new double[] {77.7, 79.4},
          "ghostnet_600m", new double[] {78.6, 78.3},
          "parameternet_600m", new double[] {79.0, 81.6},
          "repconv_300m", new double[] {76.8, 76.9});

  private PaperResults() {}

  /** The paper's top-1 of a model trained on 1K only, or NaN if the paper has none. */
  public static double scratch(String model) {
    double[] v = TOP1.get(model);
    return v == null ? Double.NaN : v[0];
  }

  /** The paper's top-1 after 22K pretraining and 1K finetuning, or NaN. */
  public static double pretrained(String model) {
    double[] v = TOP1.get(model);
    return v == null ? Double.NaN : v[1];
  }

  /** The paper's numbers as a labelled Markdown section, for reference beside any study. */
  static String markdown() {
    StringBuilder md =
        new StringBuilder(
            "## The paper's numbers, for reference\n\n"
                + "Han et al., Tables 2, 4 and 6: ImageNet-1K val top-1 at 224x224, trained on"
                + " ImageNet-1K only or pretrained on ImageNet-22K and finetuned on ImageNet-1K."
                + " Not measured here.\n\n"
                + "| Model | ImageNet-1K only | ImageNet-22K → 1K |\n|---|---:|---:|\n");
    for (String m :
        new String[] {
          "ghostnet_300m",
          "parameternet_300m_e2",
          "parameternet_300m",
          "parameternet_300m_e8",
          "repconv_300m",
          "ghostnet_600m",
          "parameternet_600m"
        }) {
      md.append(String.format(Locale.ROOT, "| %s | %.1f | %.1f |%n", m, scratch(m), pretrained(m)));
    }
    return md.append('\n').toString();
  }
}
