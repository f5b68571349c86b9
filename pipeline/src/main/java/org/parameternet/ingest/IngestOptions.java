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

  /**
   * Options built by name, starting from the defaults ({@code pnet.ingest} in {@code
   * reference.conf}, as the command line has them) for one source and output.
   */
  public static Builder builder(IngestFormat format, String source, String out) {
    Config d = Defaults.of("ingest");
    return new Builder(format, source, out)
        .image(ImageOptions.DEFAULTS)
        .shardBytes(d.getLong("shard-mb") << 20)
        .splitBytes(d.getLong("split-mb") << 20)
        .filesPerTask(d.getInt("files-per-task"))
        .seed(d.getLong("seed"));
  }

  /** A builder holding these options, to change some of them by name. */
  public Builder toBuilder() {
    return new Builder(format, source, out)
        .image(image)
        .shardBytes(shardBytes)
        .splitBytes(splitBytes)
        .filesPerTask(filesPerTask)
        .seed(seed)
        .valLabels(valLabels)
        .valSynsets(valSynsets)
        .overwrite(overwrite)
        .mapTo(mapTo)
        .classNames(classNames)
        .in21kP(in21kP);
  }

  /** Names each setting of an ingest, so a call reads as what it sets; unset ones stay off. */
  public static final class Builder {
    private final IngestFormat format;
    private final String source;
    private final String out;
    private ImageOptions image;
    private long shardBytes;
    private long splitBytes;
    private int filesPerTask;
    private long seed;
    private String valLabels;
    private String valSynsets;
    private boolean overwrite;
    private String mapTo;
    private String classNames;
    private In21kPRecipe in21kP;

    private Builder(IngestFormat format, String source, String out) {
      this.format = format;
      this.source = source;
      this.out = out;
    }

    public Builder image(ImageOptions v) {
      image = v;
      return this;
    }

    /** The shorter side after resizing, the other image limits kept. */
    public Builder resize(int shorterSide) {
      image =
          new ImageOptions(shorterSide, image.jpegQuality(), image.minSide(), image.maxPixels());
      return this;
    }

    public Builder shardBytes(long v) {
      shardBytes = v;
      return this;
    }

    public Builder splitBytes(long v) {
      splitBytes = v;
      return this;
    }

    public Builder filesPerTask(int v) {
      filesPerTask = v;
      return this;
    }

    public Builder seed(long v) {
      seed = v;
      return this;
    }

    public Builder valLabels(String v) {
      valLabels = v;
      return this;
    }

    public Builder valSynsets(String v) {
      valSynsets = v;
      return this;
    }

    public Builder overwrite(boolean v) {
      overwrite = v;
      return this;
    }

    public Builder mapTo(String v) {
      mapTo = v;
      return this;
    }

    public Builder classNames(String v) {
      classNames = v;
      return this;
    }

    public Builder in21kP(In21kPRecipe v) {
      in21kP = v;
      return this;
    }

    public IngestOptions build() {
      return new IngestOptions(
          format,
          source,
          out,
          image,
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
