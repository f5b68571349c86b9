package org.parameternet.data.labels;

/**
 * The names ImageNet's distributions give their files (the archives, the devkit and the Kaggle
 * re-packaging): what ingest looks for beside a source, and what the synthetic sets imitate.
 */
public final class ImageNetFiles {
  private ImageNetFiles() {}

  /** The full ImageNet (fall 2011): a tar of per-synset tars. */
  public static final String IN22K_ARCHIVE = "fall11_whole.tar";

  /** ImageNet-1K's training set: a tar of per-class tars. */
  public static final String IN1K_TRAIN_ARCHIVE = "ILSVRC2012_img_train.tar";

  /** ImageNet-1K's 50,000 validation images, flat. */
  public static final String IN1K_VAL_ARCHIVE = "ILSVRC2012_img_val.tar";

  /** {@code wnid<TAB>names} for every synset. */
  public static final String WORDS = "words.txt";

  /** Kaggle's {@code wnid names} for the 1000 classes. */
  public static final String KAGGLE_SYNSET_MAPPING = "LOC_synset_mapping.txt";

  /** The devkit's ground truth: one ILSVRC2012_ID per validation image, in file order. */
  public static final String DEVKIT_VAL_GROUND_TRUTH = "ILSVRC2012_validation_ground_truth.txt";

  /** Kaggle's {@code ImageId,PredictionString} validation labels. */
  public static final String KAGGLE_VAL_SOLUTION = "LOC_val_solution.csv";

  /** The devkit's synset table (ILSVRC2012_ID, wnid, words) as MATLAB file. */
  public static final String DEVKIT_META = "meta.mat";

  /** Where the devkit's tar puts {@link #DEVKIT_META}. */
  public static final String DEVKIT_META_IN_DEVKIT = "ILSVRC2012_devkit_t12/data/meta.mat";

  /** The devkit's synset table as text (what {@link #DEVKIT_META} holds). */
  public static final String SYNSETS_TSV = "synsets.tsv";
}
