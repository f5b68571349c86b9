package org.parameternet.model.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** An exported model in ONNX Runtime's CPU engine, fed and read as ND4J arrays. */
public final class OnnxRuntimeModel implements AutoCloseable {
  private final OrtEnvironment env;
  private final OrtSession session;

  private OnnxRuntimeModel(OrtEnvironment env, OrtSession session) {
    this.env = env;
    this.session = session;
  }

  /**
   * @param threads intra-op threads (1 for the paper's single-thread latency)
   */
  public static OnnxRuntimeModel load(byte[] model, int threads) {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      options.setIntraOpNumThreads(threads);
      options.setInterOpNumThreads(1);
      options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      return new OnnxRuntimeModel(env, env.createSession(model, options));
    } catch (OrtException e) {
      throw new IllegalStateException(
          "ONNX Runtime could not load the model: " + e.getMessage(), e);
    }
  }

  /** Runs {@code input} (NCHW) and returns the named outputs, shaped as ONNX Runtime gives them. */
  public Map<String, INDArray> run(INDArray input, Set<String> outputs) {
    INDArray c = input.castTo(DataType.FLOAT).dup('c');
    try (OnnxTensor tensor =
            OnnxTensor.createTensor(env, FloatBuffer.wrap(c.data().asFloat()), c.shape());
        OrtSession.Result result = session.run(Map.of(OnnxExport.INPUT, tensor), outputs)) {
      Map<String, INDArray> arrays = new LinkedHashMap<>();
      for (Map.Entry<String, OnnxValue> entry : result) {
        arrays.put(entry.getKey(), toArray((OnnxTensor) entry.getValue()));
      }
      return arrays;
    } catch (OrtException e) {
      throw new IllegalStateException("ONNX Runtime failed: " + e.getMessage(), e);
    }
  }

  /** The probabilities (softmax) of {@code input}, [batch, classes]. */
  public INDArray probabilities(INDArray input) {
    return run(input, Set.of(OnnxExport.PROBABILITIES)).get(OnnxExport.PROBABILITIES);
  }

  private static INDArray toArray(OnnxTensor tensor) {
    long[] shape = ((TensorInfo) tensor.getInfo()).getShape();
    FloatBuffer buffer = tensor.getFloatBuffer();
    float[] values = new float[buffer.remaining()];
    buffer.get(values);
    return Nd4j.create(values, shape, 'c');
  }

  @Override
  public void close() {
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException(e);
    }
  }
}
