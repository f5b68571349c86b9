package org.parameternet.model.cost;

/**
 * Size and cost of one model at one resolution.
 *
 * @param params trainable parameters (BN running statistics excluded)
 * @param macs multiply-accumulates per image, the paper's "FLOPs" (docs/architecture.md, "Counting
 *     convention")
 */
public record ModelCost(long params, long macs) {}
