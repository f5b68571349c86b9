package org.parameternet.model;

import java.util.SplittableRandom;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.FeedForwardLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * PyTorch's default bias, U(-1/sqrt(fanIn), 1/sqrt(fanIn)), for every conv and linear layer that
 * has one (here: the SE convs, the head conv and the classifier). DL4J's {@code biasInit} is a
 * constant. DynamicConv's routing bias is drawn by its own initializer.
 */
final class PytorchBiasInit {
  private PytorchBiasInit() {}

  static void apply(ComputationGraph net, long seed) {
    SplittableRandom random = new SplittableRandom(seed ^ 0x5DEECE66DL);
    for (Layer layer : net.getLayers()) {
      INDArray bias = layer.paramTable().get(DefaultParamInitializer.BIAS_KEY);
      if (bias != null && layer.conf().getLayer() instanceof FeedForwardLayer conf) {
        double bound = 1.0 / Math.sqrt(fanIn(conf));
        float[] values = new float[(int) bias.length()];
        for (int i = 0; i < values.length; i++) {
          values[i] = (float) (random.nextDouble(-bound, bound));
        }
        bias.assign(Nd4j.create(values).reshape(bias.shape()).castTo(bias.dataType()));
      }
    }
  }

  private static long fanIn(FeedForwardLayer conf) {
    if (conf instanceof DepthwiseConvolution2D dw) {
      return (long) dw.getKernelSize()[0] * dw.getKernelSize()[1];
    }
    if (conf instanceof ConvolutionLayer c) {
      return c.getNIn() * c.getKernelSize()[0] * c.getKernelSize()[1];
    }
    return conf.getNIn();
  }
}
