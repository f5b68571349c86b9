package org.parameternet.data.augment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import org.bytedeco.opencv.opencv_core.Mat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.parameternet.data.image.ImageProcessor;

/**
 * pnet's resizes against what PyTorch and Pillow make of the same pixels ({@code
 * tools/parity/image_parity.py}; docs/commands/pretrain.md, "Fidelity"). Training's crop
 * enlargement is torchvision's bilinear up to pnet's rounding to 8 bits. Shrinking, pnet averages
 * areas (OpenCV's INTER_AREA) where torchvision and Pillow use an antialiased bilinear (triangle)
 * filter: 4.1 levels of 255 apart on average on this textured picture (the evaluation transform,
 * which shrinks too, 3.6). Ingest's resize within 2x is bilinear without antialiasing (7x faster
 * than area averaging): 3.2 levels from Pillow's on average, 30 at most where stripes alias. The
 * bounds below are the measured differences with a margin: they hold the pipeline to its present
 * fidelity.
 */
class ImagePipelineParityTest {
  static JsonNode golden;
  static byte[] png;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in =
        ImagePipelineParityTest.class.getResourceAsStream("/parity/image_parity.json")) {
      golden = new ObjectMapper().readTree(in);
    }
    try (InputStream in =
        ImagePipelineParityTest.class.getResourceAsStream("/parity/image_parity.png")) {
      png = in.readAllBytes();
    }
  }

  @Test
  void cropEnlargementIsTorchvisionsBilinear() {
    double[] d = differences(crop("crop_up"), golden.get("crop_up").get("torch"));
    report("crop_up vs torch", d);
    // rounding to 8 bits (mean 0.25) and OpenCV's fixed-point interpolation weights
    assertTrue(d[0] < 0.3 && d[1] <= 1, "mean " + d[0] + ", max " + d[1]);
  }

  @Test
  void cropReductionIsCloseToTorchvisionsAntialiasedBilinear() {
    RgbImage pnet = crop("crop_down");
    double[] torch = differences(pnet, golden.get("crop_down").get("torch"));
    double[] pillow = differences(pnet, golden.get("crop_down").get("pillow"));
    report("crop_down vs torch", torch);
    report("crop_down vs pillow", pillow);
    assertTrue(torch[0] < 5 && pillow[0] < 5, "mean " + torch[0] + " and " + pillow[0]);
  }

  @Test
  void evaluationTransformIsCloseToTorchvisionsResizeAndCentreCrop() {
    AugmentOptions eval = AugmentOptions.withoutAugmentation(32, 0.875);
    float[] out = new float[3 * 32 * 32];
    new ImageTransforms(eval).eval(png, out, 0);
    double[] d = differences(fromNormalizedChw(out, 32, 32), golden.get("eval").get("pillow"));
    report("eval vs pillow", d);
    assertTrue(d[0] < 4.5, "mean " + d[0]);
  }

  @Test
  void ingestResizeIsCloseToPillowsBilinear() {
    try (Mat bgr = RgbImage.decode(png);
        Mat resized = ImageProcessor.resizeShorterSide(bgr, 64)) {
      int[] size = {resized.cols(), resized.rows()};
      int[] expected = {
        golden.get("ingest").get("size").get(0).asInt(),
        golden.get("ingest").get("size").get(1).asInt()
      };
      assertArrayEquals(expected, size);
      RgbImage rgb = RgbImage.cropResize(resized, 0, 0, size[0], size[1], size[0], size[1]);
      double[] d = differences(rgb, golden.get("ingest").get("pillow"));
      report("ingest vs pillow", d);
      assertTrue(d[0] < 4, "mean " + d[0]);
    }
  }

  private static RgbImage crop(String name) {
    JsonNode box = golden.get(name).get("box");
    try (Mat bgr = RgbImage.decode(png)) {
      return RgbImage.cropResize(
          bgr,
          box.get(0).asInt(),
          box.get(1).asInt(),
          box.get(2).asInt(),
          box.get(3).asInt(),
          32,
          32);
    }
  }

  /** Pixels back from pnet's normalised CHW floats. */
  private static RgbImage fromNormalizedChw(float[] chw, int w, int h) {
    byte[] pixels = new byte[w * h * 3];
    for (int c = 0; c < 3; c++) {
      for (int i = 0; i < w * h; i++) {
        double v =
            chw[c * w * h + i] * Normalization.STD[c] * 255.0 + Normalization.MEAN[c] * 255.0;
        pixels[i * 3 + c] = (byte) Math.round(v);
      }
    }
    return new RgbImage(w, h, pixels);
  }

  /** Mean and largest absolute difference, in levels of 255. */
  private static double[] differences(RgbImage pnet, JsonNode reference) {
    byte[] p = pnet.pixels();
    assertTrue(p.length == reference.size(), "pixels: " + p.length + " vs " + reference.size());
    double sum = 0;
    double max = 0;
    for (int i = 0; i < p.length; i++) {
      double d = Math.abs((p[i] & 0xff) - reference.get(i).asDouble());
      sum += d;
      max = Math.max(max, d);
    }
    return new double[] {sum / p.length, max};
  }

  private static void report(String what, double[] d) {
    System.out.printf("%s: mean %.3f max %.3f%n", what, d[0], d[1]);
  }
}
