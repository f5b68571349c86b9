package org.parameternet.model;

import java.util.Map;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.params.BatchNormalizationParamInitializer;
import org.deeplearning4j.nn.params.DefaultParamInitializer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.model.layers.LeanDepthwiseConvolution;

/**
 * Folds a re-parameterised (RepConv) network into its inference form, a network of {@link
 * ModelSpec#inferenceForm()}: GhostNet's shape, parameter count and FLOPs. Each branch's batch norm
 * (running statistics, evaluation mode) is folded into its kernel, and the kernels and shifts are
 * summed: {@code sum_i BN_i(W_i * x) = (sum_i s_i W_i) * x + sum_i (beta_i - mean_i s_i)} with
 * {@code s_i = gamma_i / sqrt(var_i + eps)}. The folded conv + BN keeps GhostNet's layers: the
 * summed kernel in the conv, and a BN that only adds the summed shift (mean 0, variance 1, gamma
 * {@code sqrt(1 + eps)}) and applies the activation.
 */
public final class RepConvFolding {
  private RepConvFolding() {}

  /**
   * The inference form of {@code net}, a network of {@code spec}; a spec that is not
   * re-parameterised comes back as {@code net} itself.
   */
  public static ComputationGraph fold(ModelSpec spec, ComputationGraph net) {
    if (!spec.isReparameterised()) {
      return net;
    }
    // unfused: the folding below writes each conv and batch norm by its layer's name
    ComputationGraph folded =
        GhostNetBuilder.buildUnfused(spec.inferenceForm(), 0, net.params().dataType());
    for (Layer target : folded.getLayers()) {
      String name = target.conf().getLayer().getLayerName();
      if (!hasLayer(net, name)) {
        throw new IllegalArgumentException(
            spec.name() + ": the network has no layer '" + name + "'; it is not of this spec");
      }
      Layer source = net.getLayer(name);
      for (Map.Entry<String, INDArray> p : target.paramTable().entrySet()) {
        p.getValue().assign(source.paramTable().get(p.getKey()));
      }
    }
    for (Layer target : folded.getLayers()) {
      String name = target.conf().getLayer().getLayerName();
      if (name.endsWith("_conv")) {
        String position = name.substring(0, name.length() - "_conv".length());
        if (hasLayer(net, GraphSink.branchPart(position, 1, "conv"))) {
          foldPosition(net, folded, position);
        }
      }
    }
    return folded;
  }

  /** Writes the folded kernel and shift of {@code position}'s branches into {@code folded}. */
  private static void foldPosition(ComputationGraph net, ComputationGraph folded, String position) {
    Layer conv = folded.getLayer(GraphSink.branchPart(position, 0, "conv"));
    INDArray kernel = conv.paramTable().get(DefaultParamInitializer.WEIGHT_KEY);
    boolean depthwise = conv.conf().getLayer() instanceof LeanDepthwiseConvolution;
    int channels = (int) (depthwise ? kernel.size(2) : kernel.size(0));
    int perChannel = (int) (kernel.length() / channels);
    double[] summedKernel = new double[(int) kernel.length()];
    double[] summedShift = new double[channels];
    int branch = 0;
    while (hasLayer(net, GraphSink.branchPart(position, branch, "conv"))) {
      double[] w =
          values(
              net.getLayer(GraphSink.branchPart(position, branch, "conv")),
              DefaultParamInitializer.WEIGHT_KEY);
      Layer bn = net.getLayer(GraphSink.branchPart(position, branch, "bn"));
      double eps = ((BatchNormalization) bn.conf().getLayer()).getEps();
      double[] gamma = values(bn, BatchNormalizationParamInitializer.GAMMA);
      double[] beta = values(bn, BatchNormalizationParamInitializer.BETA);
      double[] mean = values(bn, BatchNormalizationParamInitializer.GLOBAL_MEAN);
      double[] var = values(bn, BatchNormalizationParamInitializer.GLOBAL_VAR);
      double[] scale = new double[channels];
      for (int c = 0; c < channels; c++) {
        scale[c] = gamma[c] / Math.sqrt(var[c] + eps);
        summedShift[c] += beta[c] - mean[c] * scale[c];
      }
      // DL4J's kernels are [out, in, kH, kW] (output channel outermost), depthwise ones
      // [kH, kW, C, 1] (channel innermost).
      for (int i = 0; i < w.length; i++) {
        summedKernel[i] += w[i] * scale[depthwise ? i % channels : i / perChannel];
      }
      branch++;
    }
    set(kernel, summedKernel);
    Layer bn = folded.getLayer(GraphSink.branchPart(position, 0, "bn"));
    double eps = ((BatchNormalization) bn.conf().getLayer()).getEps();
    bn.paramTable().get(BatchNormalizationParamInitializer.GAMMA).assign(Math.sqrt(1 + eps));
    set(bn.paramTable().get(BatchNormalizationParamInitializer.BETA), summedShift);
    bn.paramTable().get(BatchNormalizationParamInitializer.GLOBAL_MEAN).assign(0);
    bn.paramTable().get(BatchNormalizationParamInitializer.GLOBAL_VAR).assign(1);
  }

  private static boolean hasLayer(ComputationGraph net, String name) {
    return net.getConfiguration().getVertices().containsKey(name);
  }

  private static double[] values(Layer layer, String key) {
    return layer.paramTable().get(key).castTo(DataType.DOUBLE).dup('c').data().asDouble();
  }

  private static void set(INDArray param, double[] values) {
    param.assign(Nd4j.create(values, param.shape(), 'c').castTo(param.dataType()));
  }
}
