package org.parameternet.model;

/**
 * One row of a GhostNet block table, before width scaling.
 *
 * @param group stage group (1-based), used for drop-path rates and coarse layer-wise LR decay
 * @param kernel depthwise kernel of the bottleneck and of its conv shortcut
 * @param expansion mid (expansion) width
 * @param out output width
 * @param seRatio squeeze-excite ratio, 0 for none
 * @param stride 1 or 2
 */
public record BlockRow(int group, int kernel, int expansion, int out, double seRatio, int stride) {
  public BlockRow {
    if (kernel < 1 || kernel % 2 == 0) {
      throw new IllegalArgumentException("kernel must be odd and positive, got " + kernel);
    }
    if (stride != 1 && stride != 2) {
      throw new IllegalArgumentException("stride must be 1 or 2, got " + stride);
    }
    if (expansion < 1 || out < 1) {
      throw new IllegalArgumentException("widths must be positive, got " + expansion + "/" + out);
    }
    if (seRatio < 0 || seRatio >= 1) {
      throw new IllegalArgumentException("seRatio must be in [0, 1), got " + seRatio);
    }
  }

  public boolean hasSqueezeExcite() {
    return seRatio > 0;
  }
}
