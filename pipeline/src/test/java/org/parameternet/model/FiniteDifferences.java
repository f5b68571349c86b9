package org.parameternet.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.deeplearning4j.nn.gradient.Gradient;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.nn.updater.graph.ComputationGraphUpdater;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;
import org.nd4j.linalg.dataset.DataSet;

/**
 * Central-difference gradient check on a sample of entries of every trainable parameter array,
 * perturbed through each layer's own parameter view (a NoOp updater applies the minibatch division,
 * as in GradientCheckUtil). GradientCheckUtil itself checks every entry of a graph (too slow for a
 * whole network) and trips over BN running statistics, stored as parameters but not trained.
 */
final class FiniteDifferences {
  record Result(int checked, List<String> failures) {}

  private FiniteDifferences() {}

  static Result check(
      ComputationGraph net, DataSet batch, int perParam, double epsilon, Random random) {
    net.setInput(0, batch.getFeatures());
    net.setLabel(0, batch.getLabels());
    net.computeGradientAndScore();
    Gradient gradient = net.gradient();
    new ComputationGraphUpdater(net)
        .update(gradient, 0, 0, (int) batch.numExamples(), LayerWorkspaceMgr.noWorkspaces());
    Map<String, INDArray> analytic = new HashMap<>();
    gradient.gradientForVariable().forEach((k, v) -> analytic.put(k, v.dup()));

    int checked = 0;
    List<String> failures = new ArrayList<>();
    for (Map.Entry<String, INDArray> p : net.paramTable().entrySet()) {
      String name = p.getKey();
      if (name.endsWith("_mean") || name.endsWith("_var") || name.endsWith("_log10stdev")) {
        continue;
      }
      INDArray values = p.getValue();
      INDArray grads = analytic.get(name);
      long length = values.length();
      for (int n = 0; n < Math.min(perParam, length); n++) {
        long[] at = Shape.ind2subC(values, n == 0 ? 0 : random.nextInt((int) length));
        double original = values.getDouble(at);
        values.putScalar(at, original + epsilon);
        double plus = net.score(batch, true);
        values.putScalar(at, original - epsilon);
        double minus = net.score(batch, true);
        values.putScalar(at, original);
        double numeric = (plus - minus) / (2 * epsilon);
        double backprop = grads.getDouble(at);
        double abs = Math.abs(numeric - backprop);
        double rel = abs / (Math.abs(numeric) + Math.abs(backprop) + 1e-30);
        checked++;
        if (rel > 1e-3 && abs > 1e-7) {
          failures.add(
              name + Arrays.toString(at) + ": backprop " + backprop + " numeric " + numeric);
        }
      }
    }
    return new Result(checked, failures);
  }
}
