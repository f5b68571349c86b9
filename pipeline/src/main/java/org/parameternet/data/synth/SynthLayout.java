package org.parameternet.data.synth;

import org.apache.hadoop.fs.Path;
import org.parameternet.data.labels.ImageNetFiles;

/**
 * Where {@link SynthWriter} puts each synthetic source under its root, in ImageNet's distribution
 * layouts: the one class that spells the top-level names, for the commands that ingest them.
 */
public record SynthLayout(Path root) {
  /** The 22K-like set: a tar of per-synset tars, as {@code fall11_whole.tar}. */
  public Path in22kTar() {
    return new Path(in22k(), ImageNetFiles.IN22K_ARCHIVE);
  }

  /** {@code wnid<TAB>name} for the 22K-like classes, ImageNet's {@code words.txt}. */
  public Path in22kWords() {
    return new Path(in22k(), ImageNetFiles.WORDS);
  }

  /** The 1K-like training set, as {@code ILSVRC2012_img_train.tar}. */
  public Path in1kTrainTar() {
    return new Path(in1k(), ImageNetFiles.IN1K_TRAIN_ARCHIVE);
  }

  /** The folder of the devkit's and Kaggle's label files beside the validation images. */
  public Path in1k() {
    return new Path(root, "in1k");
  }

  /** The flat 1K-like validation images. */
  public Path in1kVal() {
    return new Path(in1k(), "val");
  }

  /** The same validation images as one flat tar, as {@code ILSVRC2012_img_val.tar}. */
  public Path in1kValTar() {
    return new Path(in1k(), ImageNetFiles.IN1K_VAL_ARCHIVE);
  }

  /** {@code <wnid>/<image>} class folders. */
  public Path folders() {
    return new Path(root, "folders");
  }

  /** What was written, the bad inputs and the reasons ingest must give them included. */
  public Path manifest() {
    return new Path(root, "synth.json");
  }

  /**
   * Created before anything else is written: it marks the folder as pnet synth's own output, so a
   * rerun may replace it (even one a crash cut short, which has no manifest yet).
   */
  public Path marker() {
    return new Path(root, ".pnet-synth");
  }

  private Path in22k() {
    return new Path(root, "in22k");
  }
}
