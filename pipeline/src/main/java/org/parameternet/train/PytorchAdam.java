package org.parameternet.train;

import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.GradientUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.schedule.ISchedule;

/**
 * Adam as PyTorch (and the paper's timm recipe) computes it: epsilon is added to the bias-corrected
 * second moment, {@code lr m_hat / (sqrt(v_hat) + eps)}. Deeplearning4j's Adam adds it to the
 * uncorrected one, {@code lr_t m / (sqrt(v) + eps)}, which is the same as PyTorch with {@code eps /
 * sqrt(1 - beta2^t)}: 32x PyTorch's epsilon at the first step, still 1.6x after 1000. Parameters
 * whose gradients are near epsilon then move less than PyTorch moves them (measured in
 * StepParityTest: 5e-4 relative after 24 steps, 20x float32's rounding). This updater runs
 * Deeplearning4j's fused Adam kernel with the epsilon that makes the two equal at each step.
 */
public class PytorchAdam extends Adam {
  /** For Jackson (configurations are stored as JSON in checkpoints). */
  public PytorchAdam() {
    super();
  }

  public PytorchAdam(ISchedule schedule, double beta1, double beta2, double epsilon) {
    super(schedule);
    setBeta1(beta1);
    setBeta2(beta2);
    setEpsilon(epsilon);
  }

  @Override
  public GradientUpdater instantiate(INDArray viewArray, boolean initializeViewArray) {
    // as Adam.instantiate: the view flattened, the gradient half its length (m, then v)
    INDArray flat = viewArray.reshape(viewArray.length());
    Updater updater = new Updater(this);
    updater.setStateViewArray(
        flat, new long[] {flat.length() / 2}, flat.ordering(), initializeViewArray);
    return updater;
  }

  @Override
  public GradientUpdater instantiate(
      Map<String, INDArray> updaterState, boolean initializeStateArrays) {
    Updater updater = new Updater(this);
    updater.setState(updaterState, initializeStateArrays);
    return updater;
  }

  @Override
  public PytorchAdam clone() {
    PytorchAdam copy = new PytorchAdam();
    copy.setLrAndSchedule(
        getLearningRate(),
        getLearningRateSchedule() == null ? null : getLearningRateSchedule().clone());
    copy.setBeta1(getBeta1());
    copy.setBeta2(getBeta2());
    copy.setEpsilon(getEpsilon());
    return copy;
  }

  /** Deeplearning4j's Adam updater, handed PyTorch's epsilon for the step it applies. */
  static final class Updater implements GradientUpdater<PytorchAdam> {
    private final PytorchAdam config;
    private final Adam stepConfig;
    private final AdamUpdater adam;

    Updater(PytorchAdam config) {
      this.config = config;
      this.stepConfig = config.cloneAsAdam();
      this.adam = new AdamUpdater(stepConfig);
    }

    @Override
    public PytorchAdam getConfig() {
      return config;
    }

    @Override
    public void setState(Map<String, INDArray> state, boolean initialize) {
      adam.setState(state, initialize);
    }

    @Override
    public Map<String, INDArray> getState() {
      return adam.getState();
    }

    @Override
    public void setStateViewArray(
        INDArray view, long[] gradientShape, char order, boolean initialize) {
      adam.setStateViewArray(view, gradientShape, order, initialize);
    }

    @Override
    public void applyUpdater(INDArray gradient, int iteration, int epoch) {
      stepConfig.setEpsilon(stepEpsilon(config.getEpsilon(), config.getBeta2(), iteration));
      adam.applyUpdater(gradient, iteration, epoch);
    }
  }

  /**
   * The epsilon Deeplearning4j's kernel needs at (zero-based) {@code iteration} to compute
   * PyTorch's update: it works at step {@code t = iteration + 1}.
   */
  static double stepEpsilon(double epsilon, double beta2, int iteration) {
    return epsilon * Math.sqrt(1 - Math.pow(beta2, iteration + 1));
  }

  private Adam cloneAsAdam() {
    Adam adam = new Adam(getLearningRateSchedule());
    adam.setLearningRate(getLearningRate());
    adam.setBeta1(getBeta1());
    adam.setBeta2(getBeta2());
    adam.setEpsilon(getEpsilon());
    return adam;
  }
}
