package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.bytedeco.dnnl.memory;
import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Small native primitives run on the calling thread alone ({@link KernelPolicy#serialNative}), by
 * their effect: what OpenMP team size Java steps between them see while a program runs, that the
 * caller's size comes back after it, and that the primitives still compute what they should.
 */
class DnnlProgramTeamTest {
  private static final long SMALL = 1000;
  private static final long LARGE = 1_000_000;

  private int callerTeam;

  @BeforeEach
  void teamOfTwo() {
    callerTeam = OpenMpTeam.size();
    OpenMpTeam.resize(2); // the test's own team size, whatever the machine's
  }

  @AfterEach
  void restore() {
    OpenMpTeam.resize(callerTeam);
    System.clearProperty(KernelPolicy.NATIVE_THREADS);
  }

  @ParameterizedTest
  @CsvSource({"auto, 1, 2, 1", "all, 2, 2, 2", "one, 1, 1, 1"})
  void smallPrimitivesRunAloneAndTheCallersTeamComesBack(
      String setting, int afterSmall, int afterLarge, int afterSmallAgain) {
    System.setProperty(KernelPolicy.NATIVE_THREADS, setting);
    List<Integer> seen = new ArrayList<>();
    try (DnnlProgram p = new DnnlProgram(false, false)) {
      FloatPointer[] small = copy(p, SMALL, "small");
      p.java(p.forward, "team", s -> seen.add(OpenMpTeam.size()));
      FloatPointer[] large = copy(p, LARGE, "large");
      p.java(p.forward, "team", s -> seen.add(OpenMpTeam.size()));
      FloatPointer[] again = copy(p, SMALL, "again");
      p.java(p.forward, "team", s -> seen.add(OpenMpTeam.size()));

      p.run(p.forward);

      assertEquals(List.of(afterSmall, afterLarge, afterSmallAgain), seen);
      assertEquals(2, OpenMpTeam.size(), "the caller's team size after the run");
      for (FloatPointer[] pair : List.of(small, large, again)) {
        float[] in = new float[(int) pair[0].capacity()];
        float[] out = new float[in.length];
        pair[0].get(in);
        pair[1].get(out);
        assertArrayEquals(in, out, "a copy by a primitive made for its team size");
      }
    }
  }

  @Test
  void aCallerAloneKeepsEveryPrimitiveAlone() {
    OpenMpTeam.resize(1);
    System.setProperty(KernelPolicy.NATIVE_THREADS, "all");
    List<Integer> seen = new ArrayList<>();
    try (DnnlProgram p = new DnnlProgram(false, false)) {
      copy(p, LARGE, "large");
      p.java(p.forward, "team", s -> seen.add(OpenMpTeam.size()));
      p.run(p.forward);
    }
    assertEquals(List.of(1), seen);
    assertEquals(1, OpenMpTeam.size());
  }

  @Test
  void thresholdsAndTheOverride() {
    assertTrue(KernelPolicy.serialNative(KernelPolicy.Work.ELEMENTS, (1 << 18) - 1));
    assertFalse(KernelPolicy.serialNative(KernelPolicy.Work.ELEMENTS, 1 << 18));
    assertTrue(KernelPolicy.serialNative(KernelPolicy.Work.MULTIPLY_ADDS, (1 << 23) - 1));
    assertFalse(KernelPolicy.serialNative(KernelPolicy.Work.DEPTHWISE, 1 << 19));
    assertTrue(KernelPolicy.serialNative(KernelPolicy.Work.NORM, (1 << 20) - 1));
    assertTrue(KernelPolicy.serialJava(KernelPolicy.JAVA_SERIAL_BELOW - 1));
    assertFalse(KernelPolicy.serialJava(KernelPolicy.JAVA_SERIAL_BELOW));
    System.setProperty(KernelPolicy.NATIVE_THREADS, "some");
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> KernelPolicy.serialNative(KernelPolicy.Work.ELEMENTS, 1));
    assertTrue(e.getMessage().contains("pnet.native.threads=some"), e.getMessage());
  }

  /**
   * Appends a reorder of {@code n} floats from an NCHW buffer to an NHWC one (bound as {@code
   * key}-in and -out, filled here); returns them.
   */
  private static FloatPointer[] copy(DnnlProgram p, long n, String key) {
    long[] dims = {1, n / 10, 2, 5};
    memory in = p.bound(p.desc(dims, memory.format_tag.nchw), key + "-in");
    memory out = p.bound(p.desc(dims, memory.format_tag.nchw), key + "-out");
    p.reorder(p.forward, in, out, false);
    FloatPointer src = new FloatPointer(n);
    for (long i = 0; i < n; i++) {
      src.put(i, i % 97);
    }
    FloatPointer dst = new FloatPointer(n);
    p.bind(key + "-in", src);
    p.bind(key + "-out", dst);
    return new FloatPointer[] {src, dst};
  }
}
