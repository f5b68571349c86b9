package org.parameternet.train;

import java.util.List;
import java.util.Random;
import org.deeplearning4j.core.loader.DataSetLoader;
import org.nd4j.common.loader.Source;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.data.HadoopConf;
import org.parameternet.data.augment.AugmentOptions;
import org.parameternet.data.augment.ImageTransforms;
import org.parameternet.data.shards.LabeledImage;
import org.parameternet.data.shards.ShardReader;
import org.parameternet.data.shards.ShardSlice;

/**
 * Turns a {@link ShardSlice} descriptor into an augmented training minibatch on the executor:
 * Deeplearning4j's path-based training calls it (on its prefetch thread) with the descriptor as the
 * "path". Augmentation is seeded by the slice, so a slice gives the same batch wherever and
 * whenever it is loaded.
 */
public final class ShardDataSetLoader implements DataSetLoader {
  private final AugmentOptions augment;
  private final int classes;
  private final double labelSmoothing;
  private final HadoopConf hadoop;
  private transient ImageTransforms transforms;

  public ShardDataSetLoader(
      AugmentOptions augment, int classes, double labelSmoothing, HadoopConf hadoop) {
    this.augment = augment;
    this.classes = classes;
    this.labelSmoothing = labelSmoothing;
    this.hadoop = hadoop;
  }

  @Override
  public DataSet load(Source source) {
    return load(ShardSlice.parse(source.getPath()));
  }

  public DataSet load(ShardSlice slice) {
    if (transforms == null) {
      transforms = new ImageTransforms(augment);
    }
    List<LabeledImage> rows = ShardReader.read(hadoop.get(), slice);
    int n = rows.size();
    int res = transforms.resolution();
    int size = transforms.imageSize();
    float[] features = new float[n * size];
    float[] labels = new float[n * classes];
    Random random = new Random(slice.permutationSeed() * 31 + slice.from());
    for (int i = 0; i < n; i++) {
      LabeledImage row = rows.get(i);
      transforms.train(row.encoded(), random, features, i * size);
      LabelSmoothing.write(row.label(), classes, labelSmoothing, labels, i * classes);
    }
    return new DataSet(
        Nd4j.create(features, new long[] {n, 3, res, res}),
        Nd4j.create(labels, new long[] {n, classes}));
  }
}
