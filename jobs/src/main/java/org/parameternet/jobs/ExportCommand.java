package org.parameternet.jobs;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import onnx.OnnxMl.ModelProto;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;
import org.parameternet.model.onnx.OnnxExport;
import org.parameternet.model.onnx.OnnxFile;
import org.parameternet.model.onnx.OnnxRuntimeCheck;
import org.parameternet.train.CheckpointExport;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pnet export}: a checkpoint (or a freshly initialised model) as an ONNX file, checked in
 * ONNX Runtime against DL4J before it is reported done.
 */
@Command(
    name = "export",
    mixinStandardHelpOptions = true,
    description =
        "Export a checkpoint, or a freshly initialised model, to ONNX (opset "
            + OnnxExport.OPSET
            + ") and check it in ONNX Runtime against DL4J on random images.")
final class ExportCommand implements Callable<Integer> {
  static final class Source {
    @Option(
        names = "--checkpoint",
        description =
            "A checkpoint directory, or a training run directory (its latest checkpoint).")
    String checkpoint;

    @Option(
        names = "--model",
        completionCandidates = ModelNames.class,
        description = "A registered model, freshly initialised (${COMPLETION-CANDIDATES}).")
    String model;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Source source;

  @Option(names = "--format", description = "Export format; only onnx. Default: ${DEFAULT-VALUE}.")
  String format;

  @Option(
      names = "--out",
      required = true,
      description = "The .onnx file to write (any Hadoop URI).")
  String out;

  @Option(
      names = "--batch",
      description =
          "The graph's fixed batch size (dynamic convs fold the batch into conv groups)."
              + " Default: ${DEFAULT-VALUE}.")
  int batch;

  @Option(
      names = "--weights",
      description =
          "With --checkpoint: auto (EMA when the checkpoint has it), ema or raw."
              + " Default: ${DEFAULT-VALUE}.")
  String weights;

  @Option(
      names = "--resolution",
      description = "With --model: input size (0: the model's own). Default: ${DEFAULT-VALUE}.")
  int resolution;

  @Option(
      names = "--classes",
      description = "With --model: classifier outputs. Default: ${DEFAULT-VALUE}.")
  int classes;

  @Option(
      names = "--seed",
      description = "With --model: initialisation seed. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(
      names = "--overwrite",
      description =
          "Replace --out if it is an ONNX file this command wrote; nothing else is replaced.")
  boolean overwrite;

  @Option(
      names = "--no-check",
      negatable = false,
      description = "Skip the DL4J vs ONNX Runtime check on random images.")
  boolean noCheck;

  @Override
  public Integer call() throws IOException {
    if (!format.equals("onnx")) {
      throw new IllegalArgumentException("--format: only onnx is supported, not " + format);
    }
    if (batch < 1) {
      throw new IllegalArgumentException("--batch must be >= 1, got " + batch);
    }
    Configuration hadoop = new Configuration();
    FileSystem fs = new Path(out).getFileSystem(hadoop);
    Path target = fs.makeQualified(new Path(out));
    OnnxFile.refuseForeign(fs, target, overwrite);

    Prepared prepared = source.checkpoint != null ? fromCheckpoint(hadoop) : freshModel();
    ModelSpec spec = prepared.spec();
    byte[] bytes = prepared.model().toByteArray();
    if (!noCheck) {
      check(spec, prepared.network(), bytes);
    }
    OnnxFile.publish(fs, target, bytes, overwrite, "--out " + target);
    System.out.printf(
        Locale.ROOT,
        "wrote %s: %s, input %s [%d, 3, %d, %d] float32, outputs %s and %s [%d, %d], %.1f MB%n",
        target,
        spec.name(),
        OnnxExport.INPUT,
        batch,
        spec.resolution(),
        spec.resolution(),
        OnnxExport.LOGITS,
        OnnxExport.PROBABILITIES,
        batch,
        spec.numClasses(),
        bytes.length / 1e6);
    return 0;
  }

  /** What is exported: the network as DL4J runs it, for the check, and its ONNX model. */
  private record Prepared(ModelSpec spec, ComputationGraph network, ModelProto model) {}

  private Prepared fromCheckpoint(Configuration hadoop) throws IOException {
    CheckpointExport.Exported e =
        CheckpointExport.export(hadoop, source.checkpoint, weights, batch);
    ModelProto model = e.model();
    System.out.printf(
        Locale.ROOT,
        "exporting %s (%s weights, step %s) from %s%s%n",
        e.spec().name(),
        e.weights(),
        e.step(),
        e.checkpoint(),
        e.labels().isEmpty() ? " (class wnids not found: no pnet.classes metadata)" : "");
    return new Prepared(e.spec(), e.network(), model);
  }

  private Prepared freshModel() {
    ModelSpec registered = ModelRegistry.get(source.model);
    ModelSpec spec =
        registered
            .withResolution(resolution > 0 ? resolution : registered.resolution())
            .withClasses(classes);
    ComputationGraph net = GhostNetBuilder.build(spec, seed);
    ModelProto model =
        OnnxExport.export(spec, net, new OnnxExport.Options(batch, List.of(), Map.of()));
    return new Prepared(spec, net, model);
  }

  /** Same random images through DL4J and ONNX Runtime; the probabilities must agree. */
  private void check(ModelSpec spec, ComputationGraph net, byte[] bytes) {
    OnnxRuntimeCheck.Agreement agreement =
        OnnxRuntimeCheck.compare(net, bytes, batch, spec.resolution());
    System.out.printf(
        Locale.ROOT,
        "check: ONNX Runtime vs DL4J on %d random images, max |difference| / max |probability|"
            + " = %.2e%n",
        agreement.images(),
        agreement.error());
    agreement.requireWithinTolerance();
  }
}
