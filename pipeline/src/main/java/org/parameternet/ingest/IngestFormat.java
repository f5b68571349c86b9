package org.parameternet.ingest;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The source layouts ingest reads (docs/architecture.md, "Source layouts"). */
public enum IngestFormat {
  /** ImageNet-22K/21K: a tar of per-synset tars, or a directory of per-synset tars. */
  IN22K("in22k", "train"),
  /** ILSVRC2012_img_train.tar (a tar of per-class tars) or a directory of per-class tars. */
  IN1K_TRAIN("in1k-train", "train"),
  /**
   * 50,000 flat validation images (a folder, or ILSVRC2012_img_val.tar) with the devkit's or
   * Kaggle's label files.
   */
  IN1K_VAL("in1k-val", "val"),
  /** Class folders {@code <wnid>/<image>}. */
  FOLDERS("folders", "train");

  private final String cliName;
  private final String split;

  IngestFormat(String cliName, String split) {
    this.cliName = cliName;
    this.split = split;
  }

  public String cliName() {
    return cliName;
  }

  /** The split written for inputs of this format (the 21K-P recipe may carve out a val split). */
  public String split() {
    return split;
  }

  public static IngestFormat parse(String name) {
    for (IngestFormat f : values()) {
      if (f.cliName.equalsIgnoreCase(name)) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "unknown format '"
            + name
            + "'; allowed: "
            + Arrays.stream(values()).map(IngestFormat::cliName).collect(Collectors.joining(", ")));
  }

  @Override
  public String toString() {
    return cliName.toLowerCase(Locale.ROOT);
  }
}
