package org.parameternet.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.parameternet.data.HadoopConf;
import org.parameternet.model.GhostNetBuilder;
import org.parameternet.model.ModelRegistry;
import scala.reflect.ClassTag$;

class PnetKryoRegistratorTest {
  private static final SerializerInstance KRYO = kryo();

  private static SerializerInstance kryo() {
    SparkConf conf = new SparkConf(false);
    SparkDefaults.localMode().forEach(conf::set);
    return new KryoSerializer(conf).newInstance();
  }

  @SuppressWarnings("unchecked")
  private static <T> T roundTrip(T value) {
    var tag = ClassTag$.MODULE$.<T>apply(Object.class);
    return (T) KRYO.deserialize(KRYO.serialize(value, tag), tag);
  }

  private static void assertSameArray(INDArray expected, INDArray actual) {
    assertEquals(expected.dataType(), actual.dataType());
    assertArrayEquals(expected.shape(), actual.shape());
    assertEquals(expected, actual);
  }

  @Test
  void arraysRoundTripWithShapeTypeAndValues() {
    Nd4j.getRandom().setSeed(7);
    INDArray floats = Nd4j.rand(DataType.FLOAT, 3, 5, 7);
    INDArray fOrder = Nd4j.rand(DataType.DOUBLE, new int[] {4, 6}, 'f');
    INDArray ints = Nd4j.arange(0, 1000).castTo(DataType.INT);
    INDArray scalar = Nd4j.scalar(2.5f);
    for (INDArray a : List.of(floats, fOrder, ints, scalar)) {
      INDArray back = roundTrip(a);
      assertSameArray(a, back);
      assertEquals(a.ordering(), back.ordering());
    }
  }

  @Test
  void viewsCarryOnlyTheirOwnElements() {
    INDArray base = Nd4j.arange(0, 40).castTo(DataType.FLOAT).reshape(5, 8);
    INDArray column = base.get(NDArrayIndex.all(), NDArrayIndex.point(3));
    INDArray block = base.get(NDArrayIndex.interval(1, 3), NDArrayIndex.interval(2, 6));
    for (INDArray view : List.of(column, block)) {
      assertTrue(view.isView());
      INDArray back = roundTrip(view);
      assertSameArray(view.dup(), back);
      assertEquals(view.length(), back.data().length());
    }
  }

  @Test
  void aLargeArrayCrossesChunkBoundaries() {
    INDArray big = Nd4j.rand(DataType.FLOAT, 3 * (1 << 18) + 11); // 3 MB + 44 bytes
    assertSameArray(big, roundTrip(big));
  }

  @Test
  void emptyArraysStayEmpty() {
    INDArray empty = Nd4j.create(DataType.FLOAT, 0, 4);
    INDArray back = roundTrip(empty);
    assertTrue(back.isEmpty());
    assertArrayEquals(new long[] {0, 4}, back.shape());
  }

  record Pair(String name, int value) {}

  @Test
  void recordsImmutableCollectionsAndConfigurationsSurvive() {
    assertEquals(new Pair("a", 3), roundTrip(new Pair("a", 3)));
    assertEquals(List.of(1, 2, 3), roundTrip(List.of(1, 2, 3)));
    assertEquals(Map.of("k", "v"), roundTrip(Map.of("k", "v")));

    Configuration hadoop = new Configuration(false);
    hadoop.set("pnet.test.key", "value");
    assertEquals("value", roundTrip(new HadoopConf(hadoop)).get().get("pnet.test.key"));

    ComputationGraphConfiguration conf =
        GhostNetBuilder.configuration(
            ModelRegistry.get("parameternet_micro_32").withClasses(5),
            new NeuralNetConfiguration.Builder().seed(1));
    assertEquals(conf.toJson(), roundTrip(conf).toJson());
  }
}
