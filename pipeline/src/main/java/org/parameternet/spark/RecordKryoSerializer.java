package org.parameternet.spark;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.KryoException;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.lang.reflect.RecordComponent;

/**
 * Records through their components and canonical constructor. Kryo 4 (Spark's) predates records:
 * its field serializer cannot set their final fields, and Java serialization would demand that
 * every record be Serializable.
 */
final class RecordKryoSerializer extends Serializer<Record> {
  @Override
  public void write(Kryo kryo, Output output, Record record) {
    try {
      for (RecordComponent c : record.getClass().getRecordComponents()) {
        Method accessor = c.getAccessor();
        accessor.setAccessible(true);
        kryo.writeClassAndObject(output, accessor.invoke(record));
      }
    } catch (ReflectiveOperationException e) {
      throw new KryoException("cannot read the components of " + record.getClass().getName(), e);
    }
  }

  @Override
  public Record read(Kryo kryo, Input input, Class<Record> type) {
    RecordComponent[] components = type.getRecordComponents();
    Class<?>[] types = new Class<?>[components.length];
    Object[] values = new Object[components.length];
    for (int i = 0; i < components.length; i++) {
      types[i] = components[i].getType();
      values[i] = kryo.readClassAndObject(input);
    }
    try {
      Constructor<Record> canonical = type.getDeclaredConstructor(types);
      canonical.setAccessible(true);
      return canonical.newInstance(values);
    } catch (ReflectiveOperationException e) {
      throw new KryoException("cannot construct " + type.getName(), e);
    }
  }
}
