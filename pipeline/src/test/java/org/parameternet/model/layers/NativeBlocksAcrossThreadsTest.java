package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;

/**
 * Native blocks trained the way Spark trains them: a task borrows a resident network whose plans
 * another task's thread built, and two tasks train at once in one JVM. Before the plans owned their
 * oneDNN scratchpads, the first backward pass in a new thread crashed the JVM (SIGSEGV in a gemm
 * convolution's im2col, writing to a null scratchpad), as {@code TrainingKillIT} did with native
 * blocks on; a crash here fails the run. Every way of training must also end at the parameters of
 * training in one thread.
 */
class NativeBlocksAcrossThreadsTest {
  /** Odd batches build more plans per block, as a partition's last minibatch does. */
  private static final int[] BATCHES = {8, 8, 5, 3, 8, 1};

  private static final ModelSpec SPEC =
      ModelRegistry.get("ghostnet_micro_32").withClasses(10).withDropout(0);

  @AfterEach
  void clearSwitch() {
    System.clearProperty(KernelPolicy.SWITCH);
  }

  @Test
  void aNetworkTrainsOnInThreadsOtherThanTheOneThatBuiltItsPlans() throws Exception {
    List<DataSet> steps = steps();
    ComputationGraph oneThread = network();
    ComputationGraph hopping = network();
    hopping.params().assign(oneThread.params());
    for (DataSet step : steps) {
      oneThread.fit(step);
    }
    for (DataSet step : steps) {
      inNewThread(() -> hopping.fit(step));
    }
    assertSameParameters(oneThread, hopping, "trained in a new thread each step");
  }

  @Test
  void twoNetworksTrainAtOnceAndSwapThreadsBetweenRounds() throws Exception {
    List<DataSet> steps = steps();
    ComputationGraph oneThread = network();
    ComputationGraph[] pair = {network(), network()};
    for (ComputationGraph net : pair) {
      net.params().assign(oneThread.params());
    }
    for (DataSet step : steps) {
      oneThread.fit(step);
    }
    ExecutorService tasks = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 2; round++) {
        // round 1 hands each network to the other thread, as Spark's next tasks would
        List<Future<?>> running = new ArrayList<>();
        for (ComputationGraph net : round == 0 ? pair : new ComputationGraph[] {pair[1], pair[0]}) {
          int from = round * steps.size() / 2;
          List<DataSet> half = steps.subList(from, from + steps.size() / 2);
          running.add(tasks.submit(() -> half.forEach(net::fit)));
        }
        for (Future<?> task : running) {
          task.get();
        }
      }
    } finally {
      tasks.shutdownNow();
    }
    assertSameParameters(oneThread, pair[0], "first of two trained at once");
    assertSameParameters(oneThread, pair[1], "second of two trained at once");
  }

  private static ComputationGraph network() {
    System.setProperty(KernelPolicy.SWITCH, "native-blocks");
    ComputationGraph net = GhostNetBuilder.build(SPEC, 3);
    assertTrue(NativeBottleneckTest.nativeBlocks(net) > 0, "the network has native blocks");
    return net;
  }

  private static List<DataSet> steps() {
    Nd4j.getRandom().setSeed(11);
    List<DataSet> steps = new ArrayList<>();
    for (int batch : BATCHES) {
      INDArray labels = Nd4j.zeros(DataType.FLOAT, batch, 10);
      for (int i = 0; i < batch; i++) {
        labels.putScalar(i, (i * 7) % 10, 1);
      }
      steps.add(new DataSet(Nd4j.randn(DataType.FLOAT, batch, 3, 32, 32), labels));
    }
    return steps;
  }

  private static void inNewThread(Runnable work) throws Exception {
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      thread
          .submit(
              (Callable<Void>)
                  () -> {
                    work.run();
                    return null;
                  })
          .get();
    } finally {
      thread.shutdownNow();
    }
  }

  private static void assertSameParameters(ComputationGraph a, ComputationGraph b, String how) {
    double largest = a.params().amaxNumber().doubleValue();
    double diff = a.params().sub(b.params()).amaxNumber().doubleValue();
    System.out.printf(
        "%s: largest parameter difference %.3g (largest parameter %.3g)%n", how, diff, largest);
    assertEquals(0, diff, 1e-5 * largest, how);
  }
}
