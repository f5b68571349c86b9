package org.parameternet.model.layers;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A loop-by-loop grouped convolution of one sample, the reference for the layer tests. */
final class NaiveConv {
  private NaiveConv() {}

  static INDArray conv(INDArray x, INDArray w, int stride, int pad, int groups) {
    int in = (int) x.size(0);
    int h = (int) x.size(1);
    int width = (int) x.size(2);
    int out = (int) w.size(0);
    int k = (int) w.size(2);
    int inPerGroup = in / groups;
    int outPerGroup = out / groups;
    int oh = (h + 2 * pad - k) / stride + 1;
    int ow = (width + 2 * pad - k) / stride + 1;
    INDArray y = Nd4j.zeros(DataType.DOUBLE, out, oh, ow);
    for (int o = 0; o < out; o++) {
      int group = o / outPerGroup;
      for (int r = 0; r < oh; r++) {
        for (int c = 0; c < ow; c++) {
          double sum = 0;
          for (int ci = 0; ci < inPerGroup; ci++) {
            for (int i = 0; i < k; i++) {
              for (int j = 0; j < k; j++) {
                int yy = r * stride + i - pad;
                int xx = c * stride + j - pad;
                if (yy >= 0 && yy < h && xx >= 0 && xx < width) {
                  sum += w.getDouble(o, ci, i, j) * x.getDouble(group * inPerGroup + ci, yy, xx);
                }
              }
            }
          }
          y.putScalar(new int[] {o, r, c}, sum);
        }
      }
    }
    return y;
  }
}
