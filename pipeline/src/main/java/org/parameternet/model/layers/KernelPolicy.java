package org.parameternet.model.layers;

import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The one place that decides which kernel a layer runs: each of our layers asks here before it
 * leaves DL4J's and libnd4j's own ops for one of ours, and each answer names the measured threshold
 * behind it (in the kernel class it cites). docs/architecture.md, "Which kernel runs", tabulates
 * them.
 *
 * <p>The switch {@code -Dpnet.kernels=reference} (e.g. {@code
 * PNET_JAVA_OPTS=-Dpnet.kernels=reference bin/pnet ...}, or {@code
 * spark.executor.extraJavaOptions}) turns every fast path of ours off: layers run DL4J's ops, with
 * oneDNN's helpers as configured ({@code org.eclipse.deeplearning4j.helpers.disable} turns those
 * off). It is for A/B runs and for narrowing down a numerical problem; results agree with the fast
 * paths to float32 rounding. It is read on every decision, so a test can flip it.
 */
public final class KernelPolicy {
  /** The system property: {@code fast} (the default) or {@code reference}. */
  public static final String SWITCH = "pnet.kernels";

  private KernelPolicy() {}

  /** Whether our fast paths may run at all ({@link #SWITCH}). */
  public static boolean fastPaths() {
    String value = System.getProperty(SWITCH, "fast");
    return switch (value) {
      case "fast" -> true;
      case "reference" -> false;
      default -> throw new IllegalArgumentException(
          "-D" + SWITCH + "=" + value + ": allowed values are fast and reference");
    };
  }

  /**
   * A static 1x1 conv as one sgemm per sample ({@link PointwiseGemm}): plain geometry, float32, on
   * planes of at least {@link PointwiseGemm#MIN_PLANE}.
   */
  static boolean pointwiseGemm(ConvolutionLayer conf, INDArray input, DataType dataType) {
    return fastPaths() && input != null && PointwiseGemm.applies(conf, input, dataType);
  }

  /**
   * A dense conv with few weights per output ({@link PlaneConvolution}, the stem) on the SIMD plane
   * kernels: at most {@link PlaneConvolution#MAX_WEIGHTS_PER_OUTPUT} weights per output value.
   */
  static boolean planeConvolution(long inChannels, int kernel) {
    return fastPaths() && VectorKernels.available() && PlaneConvolution.fits(inChannels, kernel);
  }

  /**
   * A depthwise conv on the SIMD plane kernels ({@link DepthwisePlanes}) where they beat libnd4j's
   * op ({@link DepthwisePlanes#faster}: strided or per-sample from 14x14, stride 1 from 56x56).
   */
  static boolean planeDepthwise(int h, int w, int stride, boolean perSampleKernels) {
    return fastPaths()
        && VectorKernels.available()
        && DepthwisePlanes.faster(h, w, stride, perSampleKernels);
  }

  /**
   * The updater's in-place path over the network's own flat gradient ({@code
   * org.parameternet.train.FlatGradientUpdater}) rather than DL4J's per-step views of it.
   */
  public static boolean flatGradientUpdate() {
    return fastPaths();
  }

  /** Batch norm and its activation fused in two passes each way ({@link FusedBatchNorm}). */
  static boolean fusedBatchNorm() {
    return fastPaths();
  }
}
