package org.parameternet.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.serializers.JavaSerializer;
import org.apache.spark.serializer.KryoRegistrator;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.MultiLayerConfiguration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.parameternet.data.HadoopConf;

/**
 * What Spark's Kryo needs for this pipeline: ND4J arrays in bulk ({@link NdArrayKryoSerializer}),
 * records through their canonical constructors ({@link RecordKryoSerializer}), and Java
 * serialization for objects whose fields Kryo cannot rebuild: immutable JDK collections, Hadoop
 * configurations with custom serialization, and DL4J network configurations (as DL4J's Java path
 * ships them).
 */
public final class PnetKryoRegistrator implements KryoRegistrator {
  private static final String[] JAVA_SERIALIZED = {
    "java.util.ImmutableCollections$AbstractImmutableCollection",
    "java.util.ImmutableCollections$AbstractImmutableMap",
    "java.util.Collections$UnmodifiableCollection",
    "java.util.Collections$UnmodifiableMap",
    "org.datavec.spark.util.SerializableHadoopConfig",
  };

  @Override
  public void registerClasses(Kryo kryo) {
    NdArrayKryoSerializer arrays = new NdArrayKryoSerializer();
    kryo.addDefaultSerializer(INDArray.class, arrays);
    kryo.addDefaultSerializer(Record.class, new RecordKryoSerializer());
    JavaSerializer java = new JavaSerializer();
    kryo.addDefaultSerializer(HadoopConf.class, java);
    kryo.addDefaultSerializer(ComputationGraphConfiguration.class, java);
    kryo.addDefaultSerializer(MultiLayerConfiguration.class, java);
    for (String name : JAVA_SERIALIZED) {
      try {
        kryo.addDefaultSerializer(Class.forName(name), java);
      } catch (ClassNotFoundException absent) {
        // not on this classpath (or JDK): nothing of that kind can be serialized here
      }
    }
  }
}
