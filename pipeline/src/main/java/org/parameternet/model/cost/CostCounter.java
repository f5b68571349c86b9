package org.parameternet.model.cost;

import org.parameternet.model.Activation;
import org.parameternet.model.ConvOp;
import org.parameternet.model.FeatureShape;
import org.parameternet.model.GhostNetTopology;
import org.parameternet.model.GraphSink;
import org.parameternet.model.ModelSpec;

/**
 * Counts parameters and MACs with the paper's convention, which is torchprofile's: convs and
 * linears as MACs; for dynamic convs the routing linear, its pooling output and the kernel fusion
 * (M x |W| per image); 1 per BatchNorm output element and per SE multiply element; 1 per pooled
 * output element; activations, additions and concatenations free.
 */
public final class CostCounter implements GraphSink<FeatureShape> {
  private long params;
  private long macs;

  private CostCounter() {}

  public static ModelCost count(ModelSpec spec) {
    CostCounter counter = new CostCounter();
    GhostNetTopology.walk(spec, counter);
    return new ModelCost(counter.params, counter.macs);
  }

  @Override
  public FeatureShape input(FeatureShape shape) {
    return shape;
  }

  @Override
  public FeatureShape conv(String name, FeatureShape input, FeatureShape in, ConvOp op) {
    FeatureShape out = op.outputShape(in);
    long kernel = op.kernelParams();
    macs += (long) out.height() * out.width() * kernel;
    if (op.bias()) {
      params += op.out();
    }
    if (op.isDynamic()) {
      long experts = op.experts();
      params += experts * kernel + op.in() * experts + experts;
      macs += op.in() + op.in() * experts + experts * kernel;
    } else {
      params += kernel;
    }
    return out;
  }

  @Override
  public FeatureShape batchNorm(
      String name, FeatureShape input, FeatureShape shape, Activation activation) {
    params += 2L * shape.channels();
    macs += shape.elements();
    return shape;
  }

  @Override
  public FeatureShape concat(
      String name, FeatureShape first, FeatureShape second, FeatureShape out) {
    return out;
  }

  @Override
  public FeatureShape add(
      String name, FeatureShape first, FeatureShape second, FeatureShape shape) {
    return shape;
  }

  @Override
  public FeatureShape globalAveragePool(String name, FeatureShape input, FeatureShape in) {
    macs += in.channels();
    return new FeatureShape(in.channels(), 1, 1);
  }

  @Override
  public FeatureShape channelScale(
      String name, FeatureShape features, FeatureShape gate, FeatureShape shape) {
    macs += shape.elements();
    return shape;
  }

  @Override
  public FeatureShape dense(
      String name, FeatureShape input, int in, int out, Activation activation) {
    params += (long) in * out + out;
    macs += (long) in * out;
    return new FeatureShape(out, 1, 1);
  }

  @Override
  public FeatureShape classifier(
      String name, FeatureShape input, int in, int classes, double dropout) {
    params += (long) in * classes + classes;
    macs += (long) in * classes;
    return new FeatureShape(classes, 1, 1);
  }
}
