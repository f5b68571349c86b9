package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.ConvolutionMode;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.conf.inputs.InputType;
import org.deeplearning4j.nn.conf.layers.ConvolutionLayer;
import org.deeplearning4j.nn.conf.layers.DepthwiseConvolution2D;
import org.deeplearning4j.nn.conf.layers.GlobalPoolingLayer;
import org.deeplearning4j.nn.conf.layers.OutputLayer;
import org.deeplearning4j.nn.conf.layers.PoolingType;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.activations.impl.ActivationIdentity;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.learning.config.NoOp;
import org.nd4j.linalg.lossfunctions.LossFunctions;
import org.parameternet.model.Natives;

/**
 * A JVM started without {@code --add-modules=jdk.incubator.vector} (a spark-submit without the
 * documented flag) trains all the same: the SIMD kernels are not loaded, libnd4j's ops and the
 * scalar loops run, and the gradients equal those of this JVM, which runs the SIMD kernels, to
 * float32 rounding. The network has every layer that has a SIMD path, on planes where it is taken.
 */
class VectorFallbackTest {
  @Test
  void aJvmWithoutTheVectorApiComputesTheSameGradients(@TempDir Path dir) throws Exception {
    assertTrue(VectorKernels.available(), "this JVM runs with the Vector API");
    ComputationGraph net = network();
    Nd4j.getRandom().setSeed(4);
    INDArray x = Nd4j.randn(DataType.FLOAT, 2, 4, 57, 57);
    INDArray y = Nd4j.randn(DataType.FLOAT, 2, 3);
    Nd4j.saveBinary(net.params(), dir.resolve("params").toFile());
    Nd4j.saveBinary(x, dir.resolve("x").toFile());
    Nd4j.saveBinary(y, dir.resolve("y").toFile());

    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!arg.contains("jdk.incubator.vector")) {
        command.add(arg);
      }
    }
    command.addAll(
        List.of(
            "-cp", System.getProperty("java.class.path"), Child.class.getName(), dir.toString()));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("child.log").toFile());
    // The JVM would also take the module from these (the Docker image sets JDK_JAVA_OPTIONS).
    builder.environment().remove("JDK_JAVA_OPTIONS");
    builder.environment().remove("JAVA_TOOL_OPTIONS");
    Process child = builder.start();
    assertTrue(child.waitFor(5, TimeUnit.MINUTES), "the child JVM finished");
    String log = Files.readString(dir.resolve("child.log"), StandardCharsets.UTF_8);
    assertEquals(0, child.exitValue(), log);
    assertTrue(log.contains("vector kernels: false"), log);

    net.setInputs(x);
    net.setLabels(y);
    net.computeGradientAndScore();
    INDArray expected = net.gradient().gradient();
    INDArray fallback = Nd4j.readBinary(dir.resolve("gradient").toFile());
    double scale = expected.amaxNumber().doubleValue();
    assertTrue(scale > 0);
    assertEquals(0, expected.sub(fallback).amaxNumber().doubleValue() / scale, 1e-4);
    assertFalse(log.contains("Exception"), log);
  }

  /** Runs in the JVM without the Vector API: the same network, parameters and batch. */
  public static final class Child {
    public static void main(String[] args) throws Exception {
      File dir = new File(args[0]);
      System.out.println("vector kernels: " + VectorKernels.available());
      ComputationGraph net = network();
      net.setParams(Nd4j.readBinary(new File(dir, "params")));
      net.setInputs(Nd4j.readBinary(new File(dir, "x")));
      net.setLabels(Nd4j.readBinary(new File(dir, "y")));
      net.computeGradientAndScore();
      Nd4j.saveBinary(net.gradient().gradient(), new File(dir, "gradient"));
    }
  }

  static ComputationGraph network() {
    Natives.useOneDnnHelpers();
    ComputationGraphConfiguration conf =
        new NeuralNetConfiguration.Builder()
            .seed(6)
            .dataType(DataType.FLOAT)
            .updater(new NoOp())
            .convolutionMode(ConvolutionMode.Truncate)
            .graphBuilder()
            .addInputs("in")
            .addLayer(
                "pre",
                new ConvolutionLayer.Builder(1, 1)
                    .nOut(4)
                    .activation(new ActivationIdentity())
                    .build(),
                "in")
            .addLayer(
                "depthwise",
                new LeanDepthwiseConvolution(
                    new DepthwiseConvolution2D.Builder(3, 3)
                        .padding(1, 1)
                        .depthMultiplier(1)
                        .hasBias(false)
                        .activation(new ActivationIdentity())),
                "pre")
            .addLayer("bn", BatchNormActivation.of(4, new ActivationHardSwish()), "depthwise")
            .addLayer(
                "dynamic",
                new DynamicConv.Builder()
                    .kernelSize(3)
                    .stride(2)
                    .padding(1)
                    .groups(4)
                    .experts(3)
                    .nIn(4)
                    .nOut(4)
                    .build(),
                "bn")
            .addLayer("pool", new GlobalPoolingLayer.Builder(PoolingType.AVG).build(), "dynamic")
            .addLayer(
                "out",
                new OutputLayer.Builder(LossFunctions.LossFunction.MSE)
                    .nOut(3)
                    .activation(new ActivationIdentity())
                    .build(),
                "pool")
            .setOutputs("out")
            .setInputTypes(InputType.convolutional(57, 57, 4))
            .build();
    ComputationGraph net = new ComputationGraph(conf);
    net.init();
    return net;
  }
}
