package org.parameternet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.TreeMap;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;
import org.parameternet.testing.UnfusedBlocks;

/**
 * The shipped configuration: oneDNN helpers on, and computing what the built-in path computes. On
 * the unfused blocks ({@link UnfusedBlocks}), whose DL4J layers are what the helpers serve; the
 * native blocks call oneDNN themselves.
 */
@ExtendWith(UnfusedBlocks.class)
class NativesTest {
  private static final ModelSpec SPEC =
      ModelRegistry.get("parameternet_micro_32").withClasses(10).withDropout(0);

  private static ComputationGraph build(boolean helpers) {
    String previous = System.getProperty(Natives.DISABLE_HELPERS_PROPERTY);
    System.setProperty(Natives.DISABLE_HELPERS_PROPERTY, Boolean.toString(!helpers));
    try {
      return GhostNetBuilder.build(SPEC, 21);
    } finally {
      if (previous == null) {
        System.clearProperty(Natives.DISABLE_HELPERS_PROPERTY);
      } else {
        System.setProperty(Natives.DISABLE_HELPERS_PROPERTY, previous);
      }
    }
  }

  @Test
  void builtNetworksUseOneDnnHelpers() {
    System.clearProperty(Natives.DISABLE_HELPERS_PROPERTY);
    ComputationGraph net = GhostNetBuilder.build(SPEC, 1);
    assertTrue(Natives.oneDnnHelpersActive(), "oneDNN helpers are off in the shipped config");
    assertNotNull(net.getLayer("b0_ghost1_primary_bn").getHelper(), "BN has no oneDNN helper");
    assertNotNull(net.getLayer("b3_se_reduce").getHelper(), "conv has no oneDNN helper");
    assertNull(build(false).getLayer("b3_se_reduce").getHelper());
  }

  @Test
  void oneDnnAndBuiltInPathsGiveTheSameGradients() {
    ComputationGraph withHelpers = build(true);
    ComputationGraph builtIn = build(false);
    assertNotNull(withHelpers.getLayer("stem_bn").getHelper());
    assertNull(builtIn.getLayer("stem_bn").getHelper());
    assertEquals(withHelpers.params(), builtIn.params());

    Nd4j.getRandom().setSeed(5);
    INDArray images = Nd4j.rand(DataType.FLOAT, 8, 3, 32, 32).subi(0.5).muli(2);
    INDArray labels = Nd4j.zeros(DataType.FLOAT, 8, 10);
    for (int i = 0; i < 8; i++) {
      labels.putScalar(i, i % 10, 1.0);
    }
    DataSet batch = new DataSet(images, labels);
    Map<String, INDArray> a = gradients(withHelpers, batch);
    Map<String, INDArray> b = gradients(builtIn, batch);
    assertEquals(a.keySet(), b.keySet());
    for (String key : a.keySet()) {
      INDArray x = a.get(key);
      INDArray y = b.get(key);
      double scale = Math.max(x.norm2Number().doubleValue(), 1e-6);
      double diff = Transforms.abs(x.sub(y)).maxNumber().doubleValue();
      assertTrue(
          diff <= 2e-3 * scale + 1e-6, key + ": max diff " + diff + " vs gradient norm " + scale);
    }
    assertEquals(
        builtIn.score(batch), withHelpers.score(batch), 1e-4, "loss differs between paths");
  }

  private static Map<String, INDArray> gradients(ComputationGraph net, DataSet batch) {
    net.setInput(0, batch.getFeatures());
    net.setLabel(0, batch.getLabels());
    net.computeGradientAndScore();
    Map<String, INDArray> copy = new TreeMap<>();
    net.gradient().gradientForVariable().forEach((k, v) -> copy.put(k, v.dup()));
    return copy;
  }
}
