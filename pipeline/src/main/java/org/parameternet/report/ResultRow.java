package org.parameternet.report;

import java.time.Instant;
import org.parameternet.model.cost.CostCounter;
import org.parameternet.model.cost.ModelCost;
import org.parameternet.train.CheckpointEvaluation;

/**
 * One evaluation of a checkpoint: a row of the results table the report is made from.
 *
 * @param pretrainData label of the data the model was (pre)trained on, e.g. {@code in1k} or {@code
 *     in22k}
 * @param finetuneData label of the finetuning data, or empty for a model trained from scratch
 * @param params training parameters
 * @param inferenceParams parameters of the network as deployed (RepConv folds its branches); equal
 *     to {@code params} for other models, and in tables written before the column
 * @param flops MACs per image of the network as deployed
 * @param latencyMs batch-1, single-thread inference latency in DL4J
 * @param onnxLatencyMs the same in ONNX Runtime (the paper's method); NaN in tables written before
 *     it was measured
 * @param weights {@code ema} or {@code raw}
 */
public record ResultRow(
    String model,
    int experts,
    String pretrainData,
    String finetuneData,
    int resolution,
    long params,
    long inferenceParams,
    long flops,
    double top1,
    double top5,
    double latencyMs,
    double onnxLatencyMs,
    double imagesPerSecond,
    long evalImages,
    String weights,
    String checkpoint,
    String date,
    String gitCommit) {

  /**
   * The row of one checkpoint evaluation, with the counts of its spec: training parameters, and the
   * parameters and FLOPs of the network as deployed.
   */
  public static ResultRow of(
      CheckpointEvaluation.Outcome o,
      String pretrainData,
      String finetuneData,
      double latencyMs,
      double onnxLatencyMs,
      String gitCommit) {
    ModelCost cost = CostCounter.count(o.spec());
    return new ResultRow(
        o.spec().name(),
        o.spec().experts(),
        pretrainData,
        finetuneData,
        o.spec().resolution(),
        cost.params(),
        cost.inferenceParams(),
        cost.macs(),
        o.result().top1(),
        o.result().top5(),
        latencyMs,
        onnxLatencyMs,
        o.imagesPerSecond(),
        o.result().images(),
        o.weights(),
        o.checkpoint().toString(),
        Instant.now().toString(),
        gitCommit);
  }
}
