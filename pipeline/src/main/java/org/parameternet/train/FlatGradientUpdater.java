package org.parameternet.train;

import java.util.List;
import java.util.Map;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.parameternet.model.layers.KernelPolicy;

/**
 * Deeplearning4j's graph updater, made to take its in-place path. DL4J M2.1 decides between the
 * in-place path (the network's own gradient: views of it and of the parameters made once, at
 * construction) and the "external gradient" path (another network's gradient: every view made again
 * on every step) by object identity, {@code gradient.gradient() != flattened view}. But {@code
 * DefaultGradient.gradient()} returns a new reshape of the flat array on every call, so a network's
 * own gradient always took the external path: per step, per updater block and per parameter array,
 * new INDArray views of the gradient and the parameters (JavaCPP pointers and shape buffers each),
 * and the minibatch-division subsets rebuilt. That, not Adam's arithmetic, was most of the
 * optimizer's time (ghostnet_small_64: 4.6 ms of Adam kernels in a 58 ms update).
 *
 * <p>This updater hands DL4J the flat view itself when the gradient is the network's own (the same
 * memory), so the arithmetic is DL4J's, op for op, on the same memory: the result is identical
 * (FlatGradientUpdaterTest). A gradient from elsewhere still takes DL4J's external path.
 */
public final class FlatGradientUpdater extends ComputationGraphUpdater {
  private FlatGradientUpdater(ComputationGraph network, INDArray updaterState) {
    super(network, updaterState);
  }

  /**
   * Replaces an initialised network's updater with this one, keeping its state array (used in
   * place, not copied). A network that has one already keeps it.
   */
  public static void install(ComputationGraph network) {
    ComputationGraphUpdater current = network.getUpdater();
    if (!(current instanceof FlatGradientUpdater)) {
      network.setUpdater(new FlatGradientUpdater(network, current.getStateViewArray()));
    }
  }

  @Override
  public synchronized void update(
      Gradient gradient, int iteration, int epoch, int batchSize, LayerWorkspaceMgr workspaceMgr) {
    INDArray view = getFlattenedGradientsView();
    Gradient own =
        KernelPolicy.flatGradientUpdate() && sameMemory(gradient.gradient(), view)
            ? new OwnGradient(gradient, view)
            : gradient;
    super.update(own, iteration, epoch, batchSize, workspaceMgr);
  }

  /** Whether {@code a} and {@code b} are the same contiguous values (shapes aside). */
  static boolean sameMemory(INDArray a, INDArray b) {
    return a != null
        && b != null
        && a.data().address() == b.data().address()
        && a.offset() == b.offset()
        && a.length() == b.length()
        && a.elementWiseStride() == 1
        && b.elementWiseStride() == 1;
  }

  /** A gradient whose flat form is the network's flattened gradient view, by identity. */
  private record OwnGradient(Gradient delegate, INDArray view) implements Gradient {
    @Override
    public INDArray gradient() {
      return view;
    }

    @Override
    public Map<String, INDArray> gradientForVariable() {
      return delegate.gradientForVariable();
    }

    @Override
    public INDArray gradient(List<String> order) {
      return delegate.gradient(order);
    }

    @Override
    public void clear() {
      delegate.clear();
    }

    @Override
    public INDArray getGradientFor(String variable) {
      return delegate.getGradientFor(variable);
    }

    @Override
    public INDArray setGradientFor(String variable, INDArray newGradient) {
      return delegate.setGradientFor(variable, newGradient);
    }

    @Override
    public INDArray setGradientFor(String variable, INDArray newGradient, Character order) {
      return delegate.setGradientFor(variable, newGradient, order);
    }

    @Override
    public Character flatteningOrderForVariable(String variable) {
      return delegate.flatteningOrderForVariable(variable);
    }
  }
}
