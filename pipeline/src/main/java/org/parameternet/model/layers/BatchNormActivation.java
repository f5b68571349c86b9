package org.parameternet.model.layers;

import java.util.Collection;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.optimize.api.TrainingListener;
import org.nd4j.linalg.activations.IActivation;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Batch norm followed by its activation, as one layer. DL4J M2.1's {@link BatchNormalization}
 * accepts an activation and silently never applies it; this layer applies it, and keeps PyTorch's
 * running-variance rule (the unbiased batch variance; DL4J's own uses the biased one).
 *
 * <p>Defaults are PyTorch's {@code BatchNorm2d}: eps 1e-5, momentum 0.1 (DL4J's decay 0.9), the
 * running variance stored as a variance (not DL4J's log10 std), so exports and checkpoints read the
 * same numbers PyTorch's {@code running_var} holds.
 */
public class BatchNormActivation extends BatchNormalization {
  /** For JSON deserialisation; DL4J's defaults until the setters run. */
  public BatchNormActivation() {}

  /** A layer over {@code channels} channels applying {@code activation} after the norm. */
  public static BatchNormActivation of(int channels, IActivation activation) {
    BatchNormActivation layer = new BatchNormActivation();
    layer.setNIn(channels);
    layer.setNOut(channels);
    layer.setEps(1e-5);
    layer.setDecay(0.9);
    layer.setUseLogStd(false);
    layer.setActivationFn(activation);
    return layer;
  }

  @Override
  public Layer instantiate(
      NeuralNetConfiguration conf,
      Collection<TrainingListener> listeners,
      int layerIndex,
      INDArray layerParamsView,
      boolean initializeParams,
      DataType networkDataType) {
    return LayerWiring.wire(
        new BatchNormActivationLayer(conf, networkDataType),
        conf,
        listeners,
        layerIndex,
        layerParamsView,
        initializeParams,
        initializer());
  }

  @Override
  public BatchNormActivation clone() {
    return (BatchNormActivation) super.clone();
  }
}
