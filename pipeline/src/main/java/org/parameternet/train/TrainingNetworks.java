package org.parameternet.train;

import java.util.ArrayList;
import java.util.List;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.graph.GraphVertex;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.conf.layers.BaseLayer;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.learning.config.IUpdater;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.ModelSpec;

/**
 * Builds a network configured with the paper's recipe: AdamW (PyTorch's Adam, {@link PytorchAdam},
 * with decoupled weight decay scaled by the learning rate; Deeplearning4j applies it to weights
 * only, never to biases or batch-norm parameters), the per-update cosine schedule, and optional
 * layer-wise LR decay.
 */
public final class TrainingNetworks {
  private TrainingNetworks() {}

  public static ComputationGraphConfiguration configuration(
      TrainConfig config, ModelSpec spec, CosineWarmupSchedule schedule) {
    NeuralNetConfiguration.Builder base =
        new NeuralNetConfiguration.Builder()
            .seed(config.seed())
            .dataType(DataType.FLOAT)
            .updater(adam(config, schedule))
            .convolutionMode(ConvolutionMode.Truncate);
    ComputationGraphConfiguration conf = GhostNetBuilder.configuration(spec, base);
    LayerGroups groups = new LayerGroups(spec);
    for (var entry : conf.getVertices().entrySet()) {
      GraphVertex v = entry.getValue();
      if (v instanceof LayerVertex lv && lv.getLayerConf().getLayer() instanceof BaseLayer b) {
        b.setRegularization(weightDecay(config));
        b.setRegularizationBias(List.of());
        if (config.init().layerDecay() < 1) {
          double scale = groups.scale(entry.getKey(), config.init().layerDecay());
          // batch norm is a BaseLayer too; its running statistics keep their no-op updater
          b.setIUpdater(adam(config, schedule.scaled(scale)));
        }
      }
    }
    return conf;
  }

  /**
   * Set on each layer after the graph is built, not through the builder's {@code weightDecay}: DL4J
   * M2.1 configures a graph's layers twice and appends the global WeightDecay each time, so every
   * weight was decayed at twice the configured rate. DL4J applies the list to weight parameters
   * only (W, DynamicConv's experts and routing weights); BN declares none.
   */
  private static List<Regularization> weightDecay(TrainConfig config) {
    return config.optimizer().weightDecay() > 0
        ? new ArrayList<>(List.of(new WeightDecay(config.optimizer().weightDecay(), true)))
        : new ArrayList<>();
  }

  public static ComputationGraph create(
      TrainConfig config, ModelSpec spec, CosineWarmupSchedule schedule) {
    ComputationGraph net = GhostNetBuilder.initialise(configuration(config, spec, schedule));
    FlatGradientUpdater.install(net);
    return net;
  }

  static IUpdater adam(TrainConfig config, CosineWarmupSchedule schedule) {
    return new PytorchAdam(
        schedule,
        config.optimizer().beta1(),
        config.optimizer().beta2(),
        config.optimizer().epsilon());
  }
}
