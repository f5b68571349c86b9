package org.parameternet.model.layers;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.bytedeco.dnnl.memory;

/**
 * The routing pools a step of a {@link BottleneckPlan} does for the dynamic convs that read its
 * output ({@link RoutingPoolSource#poolInto}): each conv's [B, row] plane means, this step's
 * channels at a column offset, and backward the sum of the pools' gradients per plane. The arrays
 * are made once, when the first pool is given, not on every pass.
 */
final class RoutingPools {
  private final int batch;
  private final int channels;
  private final List<Pool> pools = new ArrayList<>();

  /** The plane means of the last forward pass and the pools' gradients, at [n * C + c]. */
  private float[] means;

  private float[] gradients;

  /** One conv's pool: its [B, row] means and their gradient, the step's channels from offset. */
  private record Pool(memory pooled, memory pooledGradient, int offset, int row) {}

  /** The pools of a step whose output is [batch, channels, ...]. */
  RoutingPools(int batch, int channels) {
    this.batch = batch;
    this.channels = channels;
  }

  /** Adds a conv's pool; {@code pooledGradient} is null in inference. */
  void add(memory pooled, memory pooledGradient, int offset, int row) {
    if (offset < 0 || offset + channels > row) {
      throw new IllegalArgumentException(
          "channels [" + offset + ", " + (offset + channels) + ") of a pool of " + row);
    }
    pools.add(new Pool(pooled, pooledGradient, offset, row));
    if (means == null) {
      means = new float[batch * channels];
      gradients = new float[batch * channels];
    }
  }

  /** The array the step writes its plane means into before {@link #publish}; null: no pools. */
  float[] means() {
    return means;
  }

  /** Copies {@link #means} into every pool's columns. */
  void publish() {
    for (Pool pool : pools) {
      FloatBuffer pooled = DnnlProgram.floatBuffer(pool.pooled(), (long) batch * pool.row());
      for (int n = 0; n < batch; n++) {
        pooled.put(n * pool.row() + pool.offset(), means, n * channels, channels);
      }
    }
  }

  /**
   * What the pools add to each plane (n, c) of the output gradient, at [n * C + c]: the sum of
   * their gradients' cells, in the order they were given; null when there are none.
   */
  float[] gradients() {
    float[] added = null;
    float[] row = PlaneWork.scratch(0, channels);
    for (Pool pool : pools) {
      if (pool.pooledGradient() == null) {
        continue;
      }
      if (added == null) {
        added = gradients;
        Arrays.fill(added, 0);
      }
      FloatBuffer gradient =
          DnnlProgram.floatBuffer(pool.pooledGradient(), (long) batch * pool.row());
      for (int n = 0; n < batch; n++) {
        gradient.get(n * pool.row() + pool.offset(), row, 0, channels);
        for (int c = 0; c < channels; c++) {
          added[n * channels + c] += row[c];
        }
      }
    }
    return added;
  }
}
