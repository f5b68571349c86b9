package org.parameternet.report;

/**
 * One evaluation of a checkpoint: a row of the results table the report is made from.
 *
 * @param pretrainData label of the data the model was (pre)trained on, e.g. {@code in1k} or {@code
 *     in22k}
 * @param finetuneData label of the finetuning data, or empty for a model trained from scratch
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
    String gitCommit) {}
