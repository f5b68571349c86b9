package org.parameternet.model.cost;

/**
 * Size and cost of one model at one resolution.
 *
 * @param params trainable parameters (BN running statistics excluded)
 * @param inferenceParams parameters of the network as deployed: a re-parameterised model's folded
 *     form (RepConv); equal to {@code params} for every other model
 * @param macs multiply-accumulates per image of the network as deployed, the paper's "FLOPs"
 *     (docs/architecture.md, "Counting convention")
 */
public record ModelCost(long params, long inferenceParams, long macs) {}
