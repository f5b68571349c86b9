package org.parameternet.jobs;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import onnx.OnnxMl.ModelProto;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.shade.protobuf.InvalidProtocolBufferException;
import org.parameternet.data.AtomicFile;
import org.parameternet.data.OutputLock;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;
import org.parameternet.model.onnx.OnnxExport;
import org.parameternet.model.onnx.OnnxRuntimeModel;
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
  /** Largest max |DL4J - ONNX| / max |ONNX| of the probabilities accepted by the check. */
  private static final double CHECK_TOLERANCE = 1e-3;

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
    refuseForeignOutput(fs, target);

    Prepared prepared = source.checkpoint != null ? fromCheckpoint(hadoop) : freshModel();
    ModelSpec spec = prepared.spec();
    byte[] bytes = prepared.model().toByteArray();
    if (!noCheck) {
      check(spec, prepared.network(), bytes);
    }
    write(fs, target, bytes);
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
        model.getMetadataPropsList().stream()
            .filter(p -> p.getKey().equals("pnet.step"))
            .findFirst()
            .map(p -> p.getValue())
            .orElse("?"),
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
    Nd4j.getRandom().setSeed(0);
    INDArray images = Nd4j.randn(DataType.FLOAT, batch, 3, spec.resolution(), spec.resolution());
    INDArray dl4j = net.outputSingle(false, images);
    INDArray onnx;
    try (OnnxRuntimeModel session = OnnxRuntimeModel.load(bytes, 1)) {
      onnx = session.probabilities(images);
    }
    double error =
        dl4j.sub(onnx).amaxNumber().doubleValue()
            / Math.max(onnx.amaxNumber().doubleValue(), 1e-12);
    System.out.printf(
        Locale.ROOT,
        "check: ONNX Runtime vs DL4J on %d random images, max |difference| / max |probability|"
            + " = %.2e%n",
        batch,
        error);
    if (error > CHECK_TOLERANCE) {
      throw new IllegalStateException(
          "ONNX Runtime and DL4J disagree (" + error + " > " + CHECK_TOLERANCE + "): not written");
    }
  }

  /** --out may be new; an existing file is replaced only with --overwrite and only if ours. */
  private void refuseForeignOutput(FileSystem fs, Path target) throws IOException {
    if (!fs.exists(target)) {
      return;
    }
    if (!fs.getFileStatus(target).isFile()) {
      throw new IllegalArgumentException("--out " + target + " exists and is not a file");
    }
    if (!overwrite) {
      throw new IllegalArgumentException(
          "--out " + target + " exists; pass --overwrite to replace an earlier export");
    }
    try (InputStream in = fs.open(target)) {
      ModelProto existing = ModelProto.parseFrom(in);
      if (!existing.getProducerName().equals(OnnxExport.PRODUCER)) {
        throw new IllegalArgumentException(
            "--out "
                + target
                + " was not written by pnet export (producer '"
                + existing.getProducerName()
                + "'): not replaced");
      }
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          "--out " + target + " is not an ONNX model: not replaced", e);
    }
  }

  /**
   * Publishes the export at {@code target} in one step (written beside it and renamed over it, so a
   * failed write leaves no half file), holding a lock beside it so that two exports of one file
   * cannot interleave, and checking the target again just before: a file that appeared there while
   * the model was being exported is refused as one found at the start would be, never deleted.
   */
  private void write(FileSystem fs, Path target, byte[] bytes) throws IOException {
    Path lock = new Path(target.getParent(), "." + target.getName() + ".pnet-export.lock");
    try (OutputLock held = OutputLock.acquire(fs, lock, "--out " + target)) {
      refuseForeignOutput(fs, target);
      AtomicFile.replace(fs, target, bytes);
    }
  }
}
