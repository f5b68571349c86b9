package org.parameternet.report;

/**
 * One evaluation of a checkpoint: a row of the results table the report is made from.
 *
 * @param pretrainData label of the data the model was (pre)trained on, e.g. {@code in1k} or {@code
 *     in22k}
 * @param finetuneData label of the finetuning data, or empty for a model trained from scratch
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
    double imagesPerSecond,
    long evalImages,
    String weights,
    String checkpoint,
    String date,
    String gitCommit) {}
