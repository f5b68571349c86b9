package org.parameternet.train;

import java.util.Arrays;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.UnfusedParameters;

/**
 * Starts a finetuning network from a pretrained one: every layer but the classifier is copied
 * (batch-norm statistics included); the new classifier's output for class i starts as the
 * pretrained classifier's output for the same wnid, or keeps its fresh initialisation.
 */
public final class HeadTransfer {
  private HeadTransfer() {}

  /** How the classifier was initialised. */
  public record Result(int classes, int carried, int fresh, int layersCopied) {}

  /**
   * @param sourceClassOf for each target class, the source class with the same wnid, or -1
   */
  public static Result apply(
      ComputationGraph source, ComputationGraph target, int[] sourceClassOf) {
    copyAllButTheClassifier(source, target);
    int copied = target.getLayers().length - 1;
    INDArray weights = target.getLayer(GhostNetBuilder.OUTPUT).getParam("W");
    INDArray bias = target.getLayer(GhostNetBuilder.OUTPUT).getParam("b");
    INDArray sourceWeights = source.getLayer(GhostNetBuilder.OUTPUT).getParam("W");
    INDArray sourceBias = source.getLayer(GhostNetBuilder.OUTPUT).getParam("b");
    if (weights.size(0) != sourceWeights.size(0)) {
      throw new IllegalArgumentException("classifier inputs differ: a different model?");
    }
    if (sourceClassOf.length != weights.size(1)) {
      throw new IllegalArgumentException(
          "class mapping has " + sourceClassOf.length + " classes, the network " + weights.size(1));
    }
    int carried = 0;
    for (int c = 0; c < sourceClassOf.length; c++) {
      int s = sourceClassOf[c];
      if (s < 0) {
        continue;
      }
      // DL4J's dense weights are [nIn, nOut]: a class is a column
      weights
          .get(NDArrayIndex.all(), NDArrayIndex.point(c))
          .assign(sourceWeights.get(NDArrayIndex.all(), NDArrayIndex.point(s)));
      // the bias is a rank-1 view of length nOut
      bias.putScalar(c, sourceBias.getDouble(s));
      carried++;
    }
    return new Result(sourceClassOf.length, carried, sourceClassOf.length - carried, copied);
  }

  /**
   * Copies every parameter but the classifier's, matched by the unfused graph's keys, so a
   * checkpoint of unfused layers and a network of native blocks (or the other way round) match.
   */
  private static void copyAllButTheClassifier(ComputationGraph source, ComputationGraph target) {
    Map<String, INDArray> from = UnfusedParameters.of(source);
    String classifier = GhostNetBuilder.OUTPUT + "_";
    for (Map.Entry<String, INDArray> p : UnfusedParameters.of(target).entrySet()) {
      if (p.getKey().startsWith(classifier)) {
        continue;
      }
      INDArray value = from.get(p.getKey());
      if (value == null || !Arrays.equals(value.shape(), p.getValue().shape())) {
        throw new IllegalArgumentException(
            "parameter "
                + p.getKey()
                + " has shape "
                + Arrays.toString(p.getValue().shape())
                + " here but "
                + (value == null ? "is missing" : Arrays.toString(value.shape()))
                + " in the pretrained network (a different model?)");
      }
      p.getValue().assign(value);
    }
  }
}
