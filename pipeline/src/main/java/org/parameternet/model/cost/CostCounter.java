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
 * output element; activations, additions and concatenations free. A re-parameterised conv (RepConv)
 * counts every branch's conv and BN as training parameters, and the one folded conv + BN as its
 * inference parameters and MACs.
 */
public final class CostCounter implements GraphSink<FeatureShape> {
  private long params;
  private long inferenceParams;
  private long macs;

  private CostCounter() {}

  public static ModelCost count(ModelSpec spec) {
    CostCounter counter = new CostCounter();
    GhostNetTopology.walk(spec, counter);
    return new ModelCost(counter.params, counter.inferenceParams, counter.macs);
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
      add(op.out());
    }
    if (op.isDynamic()) {
      long experts = op.experts();
      add(experts * kernel + op.in() * experts + experts);
      macs += op.in() + op.in() * experts + experts * kernel;
    } else {
      add(kernel);
    }
    return out;
  }

  @Override
  public FeatureShape branchedConvBn(
      String name, FeatureShape input, FeatureShape in, ConvOp op, Activation activation) {
    FeatureShape out = conv(name + "_conv", input, in, op.withBranches(1));
    batchNorm(name + "_bn", out, out, activation);
    params += (op.branches() - 1) * (op.kernelParams() + 2L * op.out());
    return out;
  }

  @Override
  public FeatureShape batchNorm(
      String name, FeatureShape input, FeatureShape shape, Activation activation) {
    add(2L * shape.channels());
    macs += shape.elements();
    return shape;
  }

  /** Parameters present in training and inference alike. */
  private void add(long count) {
    params += count;
    inferenceParams += count;
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
    add((long) in * out + out);
    macs += (long) in * out;
    return new FeatureShape(out, 1, 1);
  }

  @Override
  public FeatureShape classifier(
      String name, FeatureShape input, int in, int classes, double dropout) {
    add((long) in * classes + classes);
    macs += (long) in * classes;
    return new FeatureShape(classes, 1, 1);
  }
}
