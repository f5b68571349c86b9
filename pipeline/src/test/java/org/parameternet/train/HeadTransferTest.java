package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.Arrays;
import java.util.Map;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.parameternet.model.UnfusedParameters;
import org.parameternet.model.layers.KernelPolicy;
import org.parameternet.model.layers.NativeBottleneckLayer;

class HeadTransferTest {
  private static ComputationGraph net(String model, int classes, long seed) {
    TrainConfig config =
        TrainConfig.from(
            ConfigFactory.parseString(
                "train { model = "
                    + model
                    + ", data.path = x, out = x, epochs = 2, seed = "
                    + seed
                    + ", schedule.warmup-epochs = 1 }"));
    return TrainingNetworks.create(
        config, config.spec(classes), new CosineWarmupSchedule(1e-3, 1e-6, 1e-5, 1, 10, 1.0));
  }

  private static INDArray column(INDArray w, int c) {
    return w.get(NDArrayIndex.all(), NDArrayIndex.point(c));
  }

  /**
   * A checkpoint pretrained with unfused blocks ({@code -Dpnet.kernels=fast}, or before native
   * blocks were the default) finetunes in a network of native blocks: every parameter but the
   * classifier's arrives, matched by the unfused graph's keys.
   */
  @Test
  void anUnfusedCheckpointFinetunesIntoNativeBlocks() {
    System.setProperty(KernelPolicy.SWITCH, "fast");
    ComputationGraph source;
    try {
      source = net("ghostnet_micro_32", 6, 1);
    } finally {
      System.clearProperty(KernelPolicy.SWITCH);
    }
    ComputationGraph target = net("ghostnet_micro_32", 4, 2);
    assertTrue(Arrays.stream(target.getLayers()).anyMatch(l -> l instanceof NativeBottleneckLayer));
    HeadTransfer.apply(source, target, new int[] {2, -1, 0, 5});
    Map<String, INDArray> from = UnfusedParameters.of(source);
    Map<String, INDArray> to = UnfusedParameters.of(target);
    assertEquals(from.keySet(), to.keySet());
    for (String key : to.keySet()) {
      if (!key.startsWith("classifier_")) {
        assertEquals(from.get(key), to.get(key), key);
      }
    }
  }

  @Test
  void sharedWnidsGetThePretrainedRowsOthersStayFresh() {
    ComputationGraph source = net("ghostnet_micro_32", 6, 1);
    ComputationGraph target = net("ghostnet_micro_32", 4, 2);
    // biases start at 0: make the source's distinct so a carried one is visible
    INDArray sourceBias = source.getLayer("classifier").getParam("b");
    for (int c = 0; c < 6; c++) {
      sourceBias.putScalar(c, 0.5 + c);
    }
    target.getLayer("classifier").getParam("b").putScalar(1, -7.0);
    INDArray freshW = target.getLayer("classifier").getParam("W").dup();
    INDArray freshB = target.getLayer("classifier").getParam("b").dup();
    int[] map = {2, -1, 0, 5};
    HeadTransfer.Result r = HeadTransfer.apply(source, target, map);
    assertEquals(3, r.carried());
    assertEquals(1, r.fresh());
    INDArray w = target.getLayer("classifier").getParam("W");
    INDArray b = target.getLayer("classifier").getParam("b");
    INDArray sw = source.getLayer("classifier").getParam("W");
    for (int c = 0; c < map.length; c++) {
      if (map[c] >= 0) {
        assertEquals(column(sw, map[c]), column(w, c), "class " + c);
        assertEquals(0.5 + map[c], b.getDouble(c), 1e-6);
      } else {
        assertEquals(column(freshW, c), column(w, c), "class " + c + " keeps its fresh init");
        assertEquals(freshB.getDouble(c), b.getDouble(c), 0);
      }
    }
    // every other layer is the pretrained one, batch-norm statistics included
    assertEquals(source.getLayer("stem_conv").params(), target.getLayer("stem_conv").params());
    assertEquals(source.getLayer("stem_bn").params(), target.getLayer("stem_bn").params());
    assertEquals(source.getLayer("head_conv").params(), target.getLayer("head_conv").params());
  }

  @Test
  void aDifferentModelIsRefused() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                HeadTransfer.apply(
                    net("parameternet_micro_32", 6, 1),
                    net("ghostnet_micro_32", 4, 2),
                    new int[4]));
    assertEquals(true, e.getMessage().contains("different model"), e.getMessage());
  }
}
