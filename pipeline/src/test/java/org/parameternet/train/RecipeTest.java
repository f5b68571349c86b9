package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.List;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.learning.regularization.Regularization;
import org.nd4j.linalg.learning.regularization.WeightDecay;
import org.parameternet.model.ModelRegistry;

/** The training recipe's pieces, with exact expected numbers. */
class RecipeTest {
  @Test
  void cosineScheduleWithLinearWarmup() {
    // peak 1e-3, warm-up from 1e-6 over 10 steps, cosine (timm, warmup_prefix=False) to 1e-5 at 120
    CosineWarmupSchedule s = new CosineWarmupSchedule(1e-3, 1e-6, 1e-5, 10, 120, 1.0);
    double span = 1e-3 - 1e-5;
    assertEquals(1e-6, s.valueAt(0, 0), 1e-15);
    assertEquals(1e-6 + (1e-3 - 1e-6) * 0.5, s.valueAt(5, 0), 1e-15);
    assertEquals(1e-5 + 0.5 * span * (1 + Math.cos(Math.PI * 10 / 120)), s.valueAt(10, 0), 1e-15);
    // a quarter of the run: min + span (1 + cos(pi/4)) / 2; half: min + span / 2
    assertEquals(1e-5 + 0.5 * span * (1 + Math.sqrt(0.5)), s.valueAt(30, 0), 1e-15);
    assertEquals(1e-5 + 0.5 * span, s.valueAt(60, 0), 1e-15);
    assertEquals(1e-5, s.valueAt(120, 0), 1e-15);
    assertEquals(1e-5, s.valueAt(500, 0), 1e-15);
    assertEquals(0.25 * s.valueAt(30, 0), s.scaled(0.25).valueAt(30, 0), 1e-18);
  }

  @Test
  void labelSmoothingSpreadsEpsilonOverAllClasses() {
    float[] row = new float[5];
    LabelSmoothing.write(2, 5, 0.1, row, 0);
    assertArrayEquals(new float[] {0.02f, 0.02f, 0.92f, 0.02f, 0.02f}, row, 1e-7f);
    float sum = 0;
    for (float v : row) {
      sum += v;
    }
    assertEquals(1f, sum, 1e-6f);
  }

  @Test
  void emaAppliesTheDecayOncePerUpdate() {
    INDArray start = Nd4j.createFromArray(1.0f, 2.0f);
    ExponentialMovingAverage ema = new ExponentialMovingAverage(0.9, start);
    ema.update(Nd4j.createFromArray(0.0f, 0.0f), 1);
    assertEquals(0.9, ema.average().getDouble(0), 1e-6);
    assertEquals(1.8, ema.average().getDouble(1), 1e-6);
    // a round of 3 updates ending at 10: 0.9^3 = 0.729 of history
    ema.update(Nd4j.createFromArray(10.0f, 10.0f), 3);
    assertEquals(0.729 * 0.9 + 0.271 * 10, ema.average().getDouble(0), 1e-5);
    assertEquals(1.0f, start.getFloat(0), "the initial parameters are copied, not aliased");
  }

  /**
   * AdamW's decay reaches every weight matrix and kernel (experts and routing weights included) but
   * no bias and no batch-norm parameter, and it is scaled by the learning rate.
   */
  @Test
  void weightDecaySkipsBiasesAndOneDimensionalParameters() {
    TrainConfig config =
        TrainConfig.from(
            ConfigFactory.parseString(
                "train { model = parameternet_micro_32, data.path = x, out = x, epochs = 2,"
                    + " optimizer.weight-decay = 0.05, schedule.warmup-epochs = 1 }"));
    CosineWarmupSchedule schedule = new CosineWarmupSchedule(1e-3, 1e-6, 1e-5, 1, 10, 1.0);
    ComputationGraph net = TrainingNetworks.create(config, config.spec(10), schedule);
    int decayed = 0;
    int exempt = 0;
    for (Layer layer : net.getLayers()) {
      org.deeplearning4j.nn.conf.layers.Layer conf = layer.conf().getLayer();
      for (String param : layer.paramTable().keySet()) {
        List<Regularization> r = conf.getRegularizationByParam(param);
        boolean isDecayed = r != null && !r.isEmpty();
        String kind = kind(param);
        boolean vector =
            kind.equals("b")
                || kind.equals("Rb")
                || kind.equals("gamma")
                || kind.equals("beta")
                || kind.equals("mean")
                || kind.equals("var")
                || kind.equals("log10stdev");
        assertEquals(!vector, isDecayed, layer.conf().getLayer().getLayerName() + "." + param);
        if (isDecayed) {
          assertEquals(
              1, r.size(), layer.conf().getLayer().getLayerName() + "." + param + ": " + r);
          WeightDecay wd = (WeightDecay) r.get(0);
          assertTrue(wd.isApplyLR());
          assertEquals(0.05, wd.getCoeff().valueAt(0, 0), 1e-12);
          decayed++;
        } else {
          exempt++;
        }
      }
    }
    assertTrue(decayed > 10 && exempt > 10, decayed + " decayed, " + exempt + " exempt");
  }

  /**
   * What a parameter is: its key, or inside a native block ({@code ghost1-primary-conv-RW}) the
   * part after the last hyphen, the unfused layer's key.
   */
  private static String kind(String param) {
    return param.substring(param.lastIndexOf('-') + 1);
  }

  /**
   * The effect, not the setting: one step of two identical networks, with and without decay, differ
   * by exactly lr * coeff * p in every weight matrix and kernel, and not at all elsewhere.
   */
  @Test
  void weightDecayMovesExactlyTheWeightsByLrTimesCoefficient() {
    double coeff = 0.5;
    double lr = 1e-3;
    CosineWarmupSchedule schedule = new CosineWarmupSchedule(lr, 1e-6, lr, 0, 10, 1.0);
    ComputationGraph decayed = oneStep(coeff, schedule);
    ComputationGraph plain = oneStep(0, schedule);
    ComputationGraph start = oneStep(-1, schedule);
    int weights = 0;
    for (Layer layer : decayed.getLayers()) {
      String name = layer.conf().getLayer().getLayerName();
      for (String param : layer.paramTable().keySet()) {
        INDArray difference = layer.getParam(param).sub(plain.getLayer(name).getParam(param));
        INDArray initial = start.getLayer(name).getParam(param);
        boolean isWeight = kind(param).equals("W") || kind(param).equals("RW");
        INDArray expected = isWeight ? initial.mul(-lr * coeff) : initial.mul(0);
        double error = difference.sub(expected).amaxNumber().doubleValue();
        double scale = lr * coeff * initial.amaxNumber().doubleValue();
        assertTrue(
            error <= 0.02 * scale + 1e-9,
            name
                + "."
                + param
                + ": off by "
                + error
                + " (decay "
                + scale
                + "); difference / initial at 0: "
                + difference.getDouble(0) / initial.getDouble(0)
                + " (want "
                + (isWeight ? -lr * coeff : 0)
                + ")");
        weights += isWeight ? 1 : 0;
      }
    }
    assertTrue(weights > 20, weights + " weight arrays");
  }

  /** A micro ParameterNet after one step with decay {@code coeff} (none taken when negative). */
  private static ComputationGraph oneStep(double coeff, CosineWarmupSchedule schedule) {
    TrainConfig config =
        TrainConfig.from(
            ConfigFactory.parseString(
                "train { model = parameternet_micro_32, data.path = x, out = x, epochs = 2, seed = 5,"
                    + " optimizer.weight-decay = "
                    + Math.max(coeff, 0)
                    + ", schedule.warmup-epochs = 0 }"));
    ComputationGraph net =
        TrainingNetworks.create(config, config.spec(10).withDropout(0), schedule);
    if (coeff >= 0) {
      Nd4j.getRandom().setSeed(6);
      INDArray images = Nd4j.randn(DataType.FLOAT, 8, 3, 32, 32);
      INDArray labels = Nd4j.zeros(DataType.FLOAT, 8, 10);
      for (int i = 0; i < 8; i++) {
        labels.putScalar(i, i % 10, 1.0);
      }
      net.fit(new DataSet(images, labels));
    }
    return net;
  }

  @Test
  void layerDecayScalesTheLearningRateByCoarseGroup() {
    TrainConfig config =
        TrainConfig.from(
            ConfigFactory.parseString(
                "train { model = ghostnet_300m, data.path = x, out = x, epochs = 2,"
                    + " init.layer-decay = 0.5, schedule.warmup-epochs = 0 }"));
    LayerGroups groups = new LayerGroups(ModelRegistry.get("ghostnet_300m"));
    assertEquals(12, groups.count());
    assertEquals(Math.pow(0.5, 11), groups.scale("stem_conv", 0.5), 1e-15);
    assertEquals(1.0, groups.scale("classifier", 0.5), 1e-15);
    assertEquals(0.5, groups.scale("final_conv", 0.5), 1e-15);
    CosineWarmupSchedule schedule = new CosineWarmupSchedule(1e-3, 1e-6, 1e-5, 0, 10, 1.0);
    var conf = TrainingNetworks.configuration(config, config.spec(10), schedule);
    Adam stem =
        (Adam)
            ((LayerVertex) conf.getVertices().get("stem_conv"))
                .getLayerConf()
                .getLayer()
                .getUpdaterByParam("W");
    Adam head =
        (Adam)
            ((LayerVertex) conf.getVertices().get("classifier"))
                .getLayerConf()
                .getLayer()
                .getUpdaterByParam("W");
    assertEquals(1e-3, head.getLearningRateSchedule().valueAt(0, 0), 1e-15);
    assertEquals(1e-3 * Math.pow(0.5, 11), stem.getLearningRateSchedule().valueAt(0, 0), 1e-15);
  }
}
