package org.parameternet.model.layers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.bytedeco.dnnl.memory;
import org.junit.jupiter.api.Test;

/** The layouts the native profile's labels name, on oneDNN's own descriptors. */
class NativeProfileTest {
  @Test
  void namesLayoutsAsOneDnnDoes() {
    long[] dims = {2, 12, 5, 5};
    try (DnnlProgram p = new DnnlProgram(false, false)) {
      assertEquals("abcd", NativeProfile.layout(p.desc(dims, memory.format_tag.nchw)));
      assertEquals("acdb", NativeProfile.layout(p.desc(dims, memory.format_tag.nhwc)));
      assertEquals("aBcd16b", NativeProfile.layout(p.desc(dims, memory.format_tag.nChw16c)));
      assertEquals("any", NativeProfile.layout(p.desc(dims, memory.format_tag.any)));
      memory.desc wide = p.desc(new long[] {2, 24, 5, 5}, memory.format_tag.nchw);
      memory.desc half = p.sub(wide, dims, new long[] {0, 12, 0, 0});
      assertEquals("abcd*", NativeProfile.layout(half));
      memory.desc flat = p.strided(new long[] {2, 300}, new long[] {600, 1});
      assertEquals("ab*", NativeProfile.layout(flat));
    }
  }
}
