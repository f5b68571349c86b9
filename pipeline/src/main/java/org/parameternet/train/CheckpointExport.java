package org.parameternet.train;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import onnx.OnnxMl.ModelProto;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.layers.BatchNormalization;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.parameternet.model.ModelSpec;
import org.parameternet.model.Natives;
import org.parameternet.model.layers.BatchNormActivation;
import org.parameternet.model.onnx.OnnxExport;

/**
 * A training checkpoint as an ONNX model: the weights evaluation would use (EMA when the run kept
 * one), BN running statistics, and in the metadata the checkpoint, the weights and, when the run's
 * data set is reachable, its class wnids in label order ({@code pnet.classes}).
 */
public final class CheckpointExport {
  private CheckpointExport() {}

  /**
   * @param step the checkpoint's training step
   * @param network the checkpoint's network holding the exported weights
   * @param labels the class wnids written to the metadata; empty when the data set was not found
   */
  public record Exported(
      ModelSpec spec,
      Path checkpoint,
      String weights,
      long step,
      List<String> labels,
      ComputationGraph network,
      ModelProto model) {}

  public static Exported export(
      Configuration hadoop, String checkpointOrRun, String weights, int batch) throws IOException {
    Path given = new Path(checkpointOrRun);
    FileSystem fs = given.getFileSystem(hadoop);
    Path checkpoint = Checkpoints.resolve(fs, given);
    Natives.useOneDnnHelpers();
    Checkpoints.Loaded loaded = Checkpoints.load(fs, checkpoint, false);
    String used = loaded.weights(weights);
    ComputationGraph net = loaded.network();
    refuseNetworksWithoutBatchNormActivations(net, checkpoint);
    net.setParams(loaded.parameters(used));
    ModelSpec spec = loaded.spec();
    List<String> labels = labels(hadoop, loaded.train().getString("data.path"), spec.numClasses());
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("pnet.checkpoint", checkpoint.toString());
    metadata.put("pnet.weights", used);
    long step = loaded.state().iteration();
    metadata.put("pnet.step", Long.toString(step));
    if (!labels.isEmpty()) {
      metadata.put("pnet.classes", String.join(",", labels));
    }
    ModelProto model =
        OnnxExport.export(spec, net, new OnnxExport.Options(batch, List.of(), metadata));
    return new Exported(spec, checkpoint, used, step, labels, net, model);
  }

  /**
   * Checkpoints written before BatchNormActivation hold DL4J's BatchNormalization, which never
   * applied its activation: they are not the network the spec (and so the export) describes.
   */
  private static void refuseNetworksWithoutBatchNormActivations(
      ComputationGraph net, Path checkpoint) {
    for (Layer layer : net.getLayers()) {
      var conf = layer.conf().getLayer();
      if (conf instanceof BatchNormalization && !(conf instanceof BatchNormActivation)) {
        throw new IllegalArgumentException(
            checkpoint
                + " was trained before pnet applied the activation after batch norm (layer '"
                + conf.getLayerName()
                + "' is DL4J's BatchNormalization, which drops it): it is not the GhostNet /"
                + " ParameterNet its model name says, so it is not exported; retrain it");
      }
    }
  }

  /** The run's class wnids, or none when its data set is gone or does not match the classifier. */
  private static List<String> labels(Configuration hadoop, String dataset, int classes) {
    try {
      List<String> wnids = ClassMapping.wnids(hadoop, dataset);
      return wnids.size() == classes ? wnids : List.of();
    } catch (IOException | IllegalArgumentException e) {
      return List.of();
    }
  }
}
