package org.parameternet.data.shards;

/** An encoded image and its label, as stored in a shard. */
public record LabeledImage(byte[] encoded, int label) {}
