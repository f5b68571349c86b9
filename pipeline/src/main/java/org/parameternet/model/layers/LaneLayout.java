package org.parameternet.model.layers;

import org.bytedeco.dnnl.memory;

/**
 * Where the channels lie in one of a {@link DnnlProgram}'s activation buffers: NHWC, oneDNN's
 * blocked nChw16c / nChw8c (channel blocks of 16 or 8, padded with zeros past the last channel), or
 * NCHW planes. Each sample is {@code groups} runs of {@code rows} pixels of {@code width} floats,
 * and the float at lane {@code j} of a row of group {@code g} is channel {@code g * width + j}
 * (padding when that is not below {@code channels}). NHWC is one group as wide as the channels;
 * NCHW is one group per channel, one float wide ({@link #planar}).
 *
 * <p>A per-channel operation over such a buffer repeats with a period of {@code lcm(width, lanes)}
 * floats, so its SIMD loop multiplies by, or accumulates into, arrays of one period ({@link
 * #periodic}) instead of gathering channels: what {@link LaneKernels} runs on.
 */
record LaneLayout(int batch, int channels, int groups, int rows, int width) {

  /** The layout of {@code d}, or null when it is none of the layouts above. */
  static LaneLayout of(DnnlProgram p, memory.desc d) {
    long[] dims = DnnlProgram.dims(d);
    if (dims.length != 4 || d.data_type().value != DnnlProgram.F32.value) {
      return null;
    }
    int batch = (int) dims[0];
    int channels = (int) dims[1];
    int rows = (int) (dims[2] * dims[3]);
    if (d.equals(p.desc(dims, memory.format_tag.nhwc))) {
      return new LaneLayout(batch, channels, 1, rows, channels);
    }
    if (d.equals(p.desc(dims, memory.format_tag.nChw16c))) {
      return new LaneLayout(batch, channels, (channels + 15) / 16, rows, 16);
    }
    if (d.equals(p.desc(dims, memory.format_tag.nChw8c))) {
      return new LaneLayout(batch, channels, (channels + 7) / 8, rows, 8);
    }
    if (d.equals(p.desc(dims, memory.format_tag.nchw))) {
      return new LaneLayout(batch, channels, channels, rows, 1);
    }
    return null;
  }

  /** Whether each channel is a plane of its own (NCHW): one group per channel, one float wide. */
  boolean planar() {
    return width == 1 && groups == channels;
  }

  /** Floats per group (rows x width). */
  int groupLength() {
    return rows * width;
  }

  /** Floats per sample, padding included. */
  int sampleLength() {
    return groups * groupLength();
  }

  /** Floats in the buffer. */
  long size() {
    return (long) batch * sampleLength();
  }

  /** Values per channel over the batch (batch x plane): what a batch norm averages. */
  long valuesPerChannel() {
    return (long) batch * rows;
  }

  /** Floats in one period of the pattern the channels repeat in. */
  int period() {
    return LaneKernels.period(width);
  }

  /** Floats of one period per group: the length of per-channel values as the kernels read them. */
  int lanes() {
    return groups * period();
  }

  /**
   * {@code perChannel} as the kernels read it: one period per group, element {@code j} of group
   * {@code g}'s the value of the channel at lane {@code j % width} of its rows (0 on padding).
   */
  float[] periodic(float[] perChannel) {
    int period = period();
    float[] values = new float[lanes()];
    for (int i = 0; i < values.length; i++) {
      int c = channel(i / period, i % period);
      values[i] = c < channels ? perChannel[c] : 0f;
    }
    return values;
  }

  /** Adds lane sums {@code lanes} (one period per group) into {@code perChannel}. */
  void fold(double[] lanes, double[] perChannel) {
    int period = period();
    for (int i = 0; i < lanes.length; i++) {
      int c = channel(i / period, i % period);
      if (c < channels) {
        perChannel[c] += lanes[i];
      }
    }
  }

  private int channel(int group, int lane) {
    return group * width + lane % width;
  }

  /**
   * Samples per unit of work: enough that a unit is at least {@code floats} floats (a batch of 2x2
   * maps would otherwise be hundreds of calls on a few vectors), at least one.
   */
  int samplesPer(int floats) {
    return Math.max(1, Math.min(batch, floats / sampleLength()));
  }
}
