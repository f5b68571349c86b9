package org.parameternet.ingest;

import com.typesafe.config.Config;
import java.io.Serializable;
import org.parameternet.config.Defaults;
import org.parameternet.data.image.ImageOptions;

/**
 * One ingest run.
 *
 * @param source Hadoop URI of the archive, directory or val folder
 * @param out output dataset directory
 * @param shardBytes target Parquet shard size
 * @param splitBytes synset tars larger than this are processed by several tasks
 * @param filesPerTask loose files (folders, val) per task
 * @param valLabels in1k-val: ILSVRC2012_validation_ground_truth.txt or LOC_val_solution.csv (null:
 *     looked up beside the val folder)
 * @param valSynsets in1k-val with a ground-truth file: synsets.tsv (ILSVRC2012_ID, wnid, words)
 * @param overwrite replace a complete dataset already at {@code out}
 * @param mapTo another dataset (its directory or its classes.tsv) whose label space this one is
 *     mapped to, e.g. the 22K pretraining set for a 1K set; null for none
 * @param classNames wnid -> name file for classes.tsv (words.txt, LOC_synset_mapping.txt, meta.mat
 *     or synsets.tsv); null: words.txt or LOC_synset_mapping.txt beside the source when present
 * @param in21kP the ImageNet-21K-P recipe for in22k sources; null for none
 */
public record IngestOptions(
    IngestFormat format,
    String source,
    String out,
    ImageOptions image,
    long shardBytes,
    long splitBytes,
    int filesPerTask,
    long seed,
    String valLabels,
    String valSynsets,
    boolean overwrite,
    String mapTo,
    String classNames,
    In21kPRecipe in21kP)
    implements Serializable {

  /**
   * Ridnik et al.'s ImageNet-21K-P processing: keep classes with more than {@code moreThan} images;
   * the first {@code valPerClass} files of each kept class in name order form the val split
   * (deliberately no shuffle, as in their script).
   */
  public record In21kPRecipe(int moreThan, int valPerClass) implements Serializable {
    public In21kPRecipe {
      if (moreThan < 0 || valPerClass < 0 || valPerClass > moreThan) {
        throw new IllegalArgumentException(
            "21K-P recipe needs 0 <= val-per-class <= min images, got "
                + valPerClass
                + ", "
                + moreThan);
      }
    }
  }

  /** These options with other image limits. */
  public IngestOptions withImage(ImageOptions other) {
    return new IngestOptions(
        format,
        source,
        out,
        other,
        shardBytes,
        splitBytes,
        filesPerTask,
        seed,
        valLabels,
        valSynsets,
        overwrite,
        mapTo,
        classNames,
        in21kP);
  }

  /**
   * The defaults ({@code pnet.ingest} in {@code reference.conf}, as the command line has them) at a
   * resize and an optional label-space mapping.
   */
  public static IngestOptions withDefaults(
      IngestFormat format, String source, String out, int resize, String mapTo) {
    Config d = Defaults.of("ingest");
    ImageOptions image = ImageOptions.DEFAULTS;
    return new IngestOptions(
        format,
        source,
        out,
        new ImageOptions(resize, image.jpegQuality(), image.minSide(), image.maxPixels()),
        d.getLong("shard-mb") << 20,
        d.getLong("split-mb") << 20,
        d.getInt("files-per-task"),
        d.getLong("seed"),
        null,
        null,
        false,
        mapTo,
        null,
        null);
  }

  public IngestOptions {
    if (shardBytes < 1 << 20) {
      throw new IllegalArgumentException("shard-bytes must be >= 1 MiB, got " + shardBytes);
    }
    if (splitBytes < 1 << 20) {
      throw new IllegalArgumentException("split-bytes must be >= 1 MiB, got " + splitBytes);
    }
    if (filesPerTask < 1) {
      throw new IllegalArgumentException("files-per-task must be >= 1, got " + filesPerTask);
    }
  }
}
