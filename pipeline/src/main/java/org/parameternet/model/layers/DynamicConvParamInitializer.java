package org.parameternet.model.layers;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.api.ParamInitializer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.Layer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Parameters of a {@link DynamicConv}: the M expert kernels as one (M, |W|) matrix (each row a
 * C_out x C_in/g x k x k kernel in C order), the routing weight (C_in, M) and routing bias (1, M).
 * Initialised as PyTorch does: each expert kaiming-uniform(a=sqrt 5) with its own fan-in, i.e.
 * U(-1/sqrt(fanIn), 1/sqrt(fanIn)); the routing linear as nn.Linear.
 */
public final class DynamicConvParamInitializer implements ParamInitializer {
  public static final DynamicConvParamInitializer INSTANCE = new DynamicConvParamInitializer();

  public static final String EXPERTS_KEY = "W";
  public static final String ROUTING_WEIGHT_KEY = "RW";
  public static final String ROUTING_BIAS_KEY = "Rb";

  private DynamicConvParamInitializer() {}

  @Override
  public long numParams(NeuralNetConfiguration conf) {
    return numParams(conf.getLayer());
  }

  @Override
  public long numParams(Layer layer) {
    DynamicConv c = (DynamicConv) layer;
    return c.getExperts() * c.kernelParams() + c.getNIn() * c.getExperts() + c.getExperts();
  }

  @Override
  public List<String> paramKeys(Layer layer) {
    return List.of(EXPERTS_KEY, ROUTING_WEIGHT_KEY, ROUTING_BIAS_KEY);
  }

  @Override
  public List<String> weightKeys(Layer layer) {
    return List.of(EXPERTS_KEY, ROUTING_WEIGHT_KEY);
  }

  @Override
  public List<String> biasKeys(Layer layer) {
    return List.of(ROUTING_BIAS_KEY);
  }

  @Override
  public boolean isWeightParam(Layer layer, String key) {
    return EXPERTS_KEY.equals(key) || ROUTING_WEIGHT_KEY.equals(key);
  }

  @Override
  public boolean isBiasParam(Layer layer, String key) {
    return ROUTING_BIAS_KEY.equals(key);
  }

  @Override
  public Map<String, INDArray> init(
      NeuralNetConfiguration conf, INDArray paramsView, boolean initializeParams) {
    DynamicConv c = (DynamicConv) conf.getLayer();
    Map<String, INDArray> params = split(c, paramsView);
    if (initializeParams) {
      long fanIn = (c.getNIn() / c.getGroups()) * c.getKernelSize() * c.getKernelSize();
      uniform(params.get(EXPERTS_KEY), 1.0 / Math.sqrt(fanIn));
      double routingBound = 1.0 / Math.sqrt(c.getNIn());
      uniform(params.get(ROUTING_WEIGHT_KEY), routingBound);
      uniform(params.get(ROUTING_BIAS_KEY), routingBound);
    }
    params.keySet().forEach(conf::addVariable);
    return params;
  }

  @Override
  public Map<String, INDArray> getGradientsFromFlattened(
      NeuralNetConfiguration conf, INDArray gradientView) {
    return split((DynamicConv) conf.getLayer(), gradientView);
  }

  private static Map<String, INDArray> split(DynamicConv c, INDArray flat) {
    long experts = c.getExperts();
    long kernel = c.kernelParams();
    long nIn = c.getNIn();
    INDArray row = flat.reshape(flat.length());
    long end = experts * kernel;
    Map<String, INDArray> views = new LinkedHashMap<>();
    views.put(EXPERTS_KEY, row.get(NDArrayIndex.interval(0, end)).reshape('c', experts, kernel));
    views.put(
        ROUTING_WEIGHT_KEY,
        row.get(NDArrayIndex.interval(end, end + nIn * experts)).reshape('c', nIn, experts));
    end += nIn * experts;
    views.put(
        ROUTING_BIAS_KEY,
        row.get(NDArrayIndex.interval(end, end + experts)).reshape('c', 1, experts));
    return views;
  }

  private static void uniform(INDArray view, double bound) {
    view.assign(Nd4j.rand(view.dataType(), view.shape()).muli(2 * bound).subi(bound));
  }
}
