package org.parameternet.model.layers;

import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_BIAS;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_DST;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_FROM;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SCRATCHPAD;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_0;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_SRC_1;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_TO;
import static org.bytedeco.dnnl.global.dnnl.DNNL_ARG_WEIGHTS;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.bytedeco.dnnl.IntMemoryMap;
import org.bytedeco.dnnl.binary;
import org.bytedeco.dnnl.engine;
import org.bytedeco.dnnl.global.dnnl.algorithm;
import org.bytedeco.dnnl.global.dnnl.scratchpad_mode;
import org.bytedeco.dnnl.matmul;
import org.bytedeco.dnnl.memory;
import org.bytedeco.dnnl.post_ops;
import org.bytedeco.dnnl.primitive;
import org.bytedeco.dnnl.primitive_attr;
import org.bytedeco.dnnl.primitive_desc_base;
import org.bytedeco.dnnl.reorder;
import org.bytedeco.dnnl.stream;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;

/**
 * A fixed sequence of oneDNN primitives over memories created once: the scaffolding of {@link
 * BottleneckPlan}. Memories are either the program's own (intermediates, kept between a training
 * forward and its backward) or bound by key to a caller's buffer (activations, DL4J's parameter and
 * gradient views), whose address is set again before every run since DL4J moves them between calls.
 * Everything JavaCPP allocates is kept here and freed by {@link #close}.
 *
 * <p>Every primitive gets its scratchpad from the program (oneDNN's "user" scratchpad mode): one
 * buffer, as large as the largest primitive's need, shared by all of them since a program runs its
 * steps one after another. oneDNN's own ("library") scratchpad is kept per thread; with it, a plan
 * built in one thread and run in another (a Spark task borrowing a resident network) crashed in a
 * gemm convolution's im2col on a null buffer (NativeBlocksAcrossThreadsTest), and with the
 * program's it does not.
 *
 * <p>Small primitives run on the calling thread alone, the rest on its OpenMP team ({@link
 * KernelPolicy#serialNative}): {@link #build} makes a primitive for the team size it will run with,
 * since oneDNN splits a primitive's work and sizes its scratchpad for the threads it sees when it
 * is made, and {@link #run} sets the team size before each primitive where it changes.
 */
final class DnnlProgram implements AutoCloseable {
  static final memory.data_type F32 = memory.data_type.f32;

  /** oneDNN's CPU engine, one per process, as libnd4j has its own. */
  private static engine cpu;

  /** A step of a sequence: a primitive with its arguments, or Java work on finished memories. */
  interface Step {
    void run(stream s);
  }

  final engine eng;
  final stream strm;
  final boolean training;

  /**
   * Activations inside in oneDNN's blocked layouts (chosen by the primitives) rather than NHWC: the
   * spike measured blocked faster from 14x14 with wide maps, NHWC on the small cell's narrow ones.
   */
  final boolean blocked;

  /** Conv weights from DL4J's layout into the primitives', before every forward pass. */
  final List<Step> weightsIn = new ArrayList<>();

  final List<Step> forward = new ArrayList<>();
  final List<Step> backward = new ArrayList<>();

  /** Conv weight gradients from the primitives' layout into DL4J's gradient views. */
  final List<Step> weightsOut = new ArrayList<>();

  private final List<Pointer> owned = new ArrayList<>();

  /** Each primitive's scratchpad, all over one buffer of {@link #scratchpadBytes}. */
  private final List<memory> scratchpads = new ArrayList<>();

  private long scratchpadBytes;
  private memory scratchpadBuffer;
  private final Map<String, List<memory>> bound = new HashMap<>();

  /** The key each bound memory follows, for {@link #alias}. */
  private final Map<memory, String> keyOf = new IdentityHashMap<>();

  /** Reorders appended per bound key they read, for tests ({@link #reordersOf}). */
  private final Map<String, Integer> reordersByKey = new HashMap<>();

  /** Primitives appended per list of steps and kind, for tests ({@link #primitivesOf}). */
  private final Map<List<Step>, Map<String, Integer>> primitivesByKind = new IdentityHashMap<>();

  /** The primitives {@link #build} made for the calling thread alone. */
  private final Set<primitive_desc_base> serial =
      Collections.newSetFromMap(new IdentityHashMap<>());

  /** During {@link #run}: the caller's team size, and whether the team is now cut to one. */
  private int callerTeam;

  private boolean teamCut;

  DnnlProgram(boolean training, boolean blocked) {
    this.training = training;
    this.blocked = blocked;
    eng = engine();
    strm = own(new stream(eng));
  }

  private static synchronized engine engine() {
    if (cpu == null) {
      cpu = new engine(engine.kind.cpu, 0);
    }
    return cpu;
  }

  /** Keeps {@code p} alive until {@link #close}. */
  <T extends Pointer> T own(T p) {
    owned.add(p);
    return p;
  }

  memory.desc desc(long[] dims, memory.format_tag tag) {
    return own(new memory.desc(dims, F32, tag));
  }

  /** A plain tensor with explicit strides (DL4J's depthwise [kh, kw, C, 1] as goihw). */
  memory.desc strided(long[] dims, long[] strides) {
    return own(new memory.desc(dims, F32, strides));
  }

  /** A plain 3-D tensor [a, b, c] with strides {sa, sb, sc}: a batch of matrices, as laid out. */
  memory.desc strided(long a, long b, long c, long sa, long sb, long sc) {
    return strided(new long[] {a, b, c}, new long[] {sa, sb, sc});
  }

  memory.desc sub(memory.desc full, long[] dims, long[] offsets) {
    return own(full.submemory_desc(dims, offsets));
  }

  /** An activation of the block: NHWC, or its layout left to the primitive when blocked. */
  memory.desc internal(long[] dims) {
    return desc(dims, blocked ? memory.format_tag.any : memory.format_tag.nhwc);
  }

  /** What a primitive after the one that made {@code d} should ask for. */
  memory.desc following(memory.desc d) {
    return blocked ? any(d) : d;
  }

  /** The same dims as {@code d} with the layout left to the primitive. */
  memory.desc any(memory.desc d) {
    return own(new memory.desc(dims(d), F32, memory.format_tag.any));
  }

  static long[] dims(memory.desc d) {
    LongPointer p = d.dims();
    long[] dims = new long[d.data().ndims()];
    for (int i = 0; i < dims.length; i++) {
      dims[i] = p.get(i);
    }
    return dims;
  }

  /** A buffer of the program's own. */
  memory scratch(memory.desc d) {
    return own(new memory(d, eng));
  }

  /** Another view ({@code d}, e.g. a channel range) of the program's own buffer {@code m}. */
  memory view(memory m, memory.desc d) {
    return own(new memory(d, eng, m.get_data_handle()));
  }

  /** A memory over the caller's buffer {@code key}, given by {@link #bind} before each run. */
  memory bound(memory.desc d, String key) {
    memory m = own(new memory(d, eng, (Pointer) null));
    bound.computeIfAbsent(key, k -> new ArrayList<>()).add(m);
    keyOf.put(m, key);
    return m;
  }

  /**
   * {@code d} (another shape or strides) over the same buffer as {@code m}: bound to the same key
   * when {@code m} is bound, since a caller's buffer moves between runs, else a {@link #view}.
   */
  memory alias(memory m, memory.desc d) {
    String key = keyOf.get(m);
    return key != null ? bound(d, key) : view(m, d);
  }

  /** Points every memory bound to {@code key} at {@code address}. */
  void bind(String key, Pointer address) {
    List<memory> memories = bound.get(key);
    if (memories != null) {
      if (address == null || address.isNull()) {
        throw new IllegalArgumentException("no buffer for " + key);
      }
      memories.forEach(m -> m.set_data_handle(address));
    }
  }

  IntMemoryMap args(Object... keyValues) {
    IntMemoryMap map = own(new IntMemoryMap());
    for (int i = 0; i < keyValues.length; i += 2) {
      map.put((Integer) keyValues[i], (memory) keyValues[i + 1]);
    }
    return map;
  }

  /**
   * The primitive descriptor {@code pd} makes, owned here, made for the calling thread alone when
   * {@link KernelPolicy#serialNative} says so for {@code work} of {@code amount}.
   */
  <T extends primitive_desc_base> T build(KernelPolicy.Work work, long amount, Supplier<T> pd) {
    if (!KernelPolicy.serialNative(work, amount)) {
      return own(pd.get());
    }
    T made = own(alone(pd));
    serial.add(made);
    return made;
  }

  /** What {@code make} returns, called with the calling thread's team cut to one. */
  private static <T> T alone(Supplier<T> make) {
    int team = OpenMpTeam.size();
    OpenMpTeam.resize(1);
    try {
      return make.get();
    } finally {
      OpenMpTeam.resize(team);
    }
  }

  /** The number of elements of {@code d}. */
  static long elements(memory.desc d) {
    long n = 1;
    for (long extent : dims(d)) {
      n *= extent;
    }
    return n;
  }

  /**
   * Appends the primitive {@code make} makes of {@code pd} (made with {@link #attr}) over {@code
   * args}, made for the team size {@code pd} was (oneDNN's primitives size per-thread state and key
   * their cache by it).
   */
  <T extends primitive_desc_base> void add(
      List<Step> steps, T pd, Function<T, primitive> make, IntMemoryMap args) {
    boolean single = serial.contains(pd);
    String label =
        NativeProfile.ENABLED ? NativeProfile.label(pd) + (single ? " alone" : "") : null;
    primitive p = own(single ? alone(() -> make.apply(pd)) : make.apply(pd));
    primitivesByKind
        .computeIfAbsent(steps, k -> new HashMap<>())
        .merge(String.valueOf(pd.get_kind()), 1, Integer::sum);
    memory.desc need = own(pd.scratchpad_desc());
    long bytes = need.get_size();
    if (bytes > 0) {
      memory scratchpad = own(new memory(need, eng, (Pointer) null));
      scratchpads.add(scratchpad);
      args.put(DNNL_ARG_SCRATCHPAD, scratchpad);
      scratchpadBytes = Math.max(scratchpadBytes, bytes);
      scratchpadBuffer = null; // sized again before the next run
    }
    Step step =
        s -> {
          team(single);
          p.execute(s, args);
        };
    steps.add(NativeProfile.ENABLED ? new NativeProfile.Labelled(label, step) : step);
  }

  /** Cuts the calling thread's team to one for a primitive made alone, restores it after. */
  private void team(boolean serialStep) {
    if (serialStep != teamCut && callerTeam > 1) {
      OpenMpTeam.resize(serialStep ? 1 : callerTeam);
      teamCut = serialStep;
    }
  }

  /** Appends Java work on finished memories, named {@code label} in the native profile. */
  void java(List<Step> steps, String label, Step step) {
    steps.add(NativeProfile.ENABLED ? new NativeProfile.Labelled("java " + label, step) : step);
  }

  /** Points every primitive's scratchpad at one buffer as large as the largest need. */
  private void allocateScratchpads() {
    memory.desc bytes =
        own(
            new memory.desc(
                new long[] {scratchpadBytes}, memory.data_type.u8, memory.format_tag.a));
    scratchpadBuffer = own(new memory(bytes, eng));
    Pointer buffer = scratchpadBuffer.get_data_handle();
    scratchpads.forEach(m -> m.set_data_handle(buffer));
  }

  /** The attribute of every primitive here: its scratchpad is the program's. */
  primitive_attr attr() {
    return accumulating(false);
  }

  /** {@link #attr} with a sum post-op, which makes the primitive add to its destination. */
  primitive_attr accumulating(boolean accumulate) {
    primitive_attr attr = own(new primitive_attr());
    attr.set_scratchpad_mode(scratchpad_mode.user);
    if (accumulate) {
      post_ops ops = own(new post_ops());
      ops.append_sum(); // scale 1; the preset has no append_sum(float)
      attr.set_post_ops(ops);
    }
    return attr;
  }

  /** {@link #attr} with an element-wise post-op ({@code algorithm}, alpha and beta 0). */
  primitive_attr withEltwise(algorithm algorithm) {
    primitive_attr attr = attr();
    post_ops ops = own(new post_ops());
    ops.append_eltwise(1f, algorithm, 0f, 0f);
    attr.set_post_ops(ops);
    return attr;
  }

  /**
   * Appends {@code dst = src weights (+ bias)}, batched when the memories are 3-D; whether oneDNN
   * has an {@link #optimised} implementation of it.
   */
  boolean matmul(
      List<Step> steps, memory src, memory weights, memory bias, memory dst, primitive_attr attr) {
    matmul.desc d =
        own(
            bias == null
                ? new matmul.desc(src.get_desc(), weights.get_desc(), dst.get_desc())
                : new matmul.desc(
                    src.get_desc(), weights.get_desc(), bias.get_desc(), dst.get_desc()));
    long[] in = dims(src.get_desc());
    long multiplyAdds = elements(dst.get_desc()) * in[in.length - 1];
    matmul.primitive_desc pd =
        build(
            KernelPolicy.Work.MULTIPLY_ADDS,
            multiplyAdds,
            () -> new matmul.primitive_desc(d, attr, eng));
    IntMemoryMap args =
        bias == null
            ? args(DNNL_ARG_SRC, src, DNNL_ARG_WEIGHTS, weights, DNNL_ARG_DST, dst)
            : args(
                DNNL_ARG_SRC,
                src,
                DNNL_ARG_WEIGHTS,
                weights,
                DNNL_ARG_BIAS,
                bias,
                DNNL_ARG_DST,
                dst);
    add(steps, pd, matmul::new, args);
    return optimised(pd);
  }

  /**
   * {@code dst = src} (or {@code dst += src}) across layouts; returns whether oneDNN has an {@link
   * #optimised} implementation of it.
   */
  boolean reorder(List<Step> steps, memory src, memory dst, boolean accumulate) {
    String key = keyOf.get(src);
    if (key != null) {
      reordersByKey.merge(key, 1, Integer::sum);
    }
    primitive_attr attr = accumulating(accumulate);
    reorder.primitive_desc pd =
        build(
            KernelPolicy.Work.ELEMENTS,
            elements(dst.get_desc()),
            () ->
                new reorder.primitive_desc(eng, src.get_desc(), eng, dst.get_desc(), attr, false));
    add(steps, pd, reorder::new, args(DNNL_ARG_FROM, src, DNNL_ARG_TO, dst));
    return optimised(pd);
  }

  /** How many primitives of {@code kind} ("matmul", "binary", ...) {@code steps} run. */
  int primitivesOf(List<Step> steps, String kind) {
    return primitivesByKind.getOrDefault(steps, Map.of()).getOrDefault(kind, 0);
  }

  /** How many reorders read the caller's buffer {@code key} (each pass it is bound for). */
  int reordersOf(String key) {
    return reordersByKey.getOrDefault(key, 0);
  }

  /** {@code m} when it is laid out as {@code want}, else a new buffer filled by a reorder step. */
  memory ensure(List<Step> steps, memory m, memory.desc want) {
    if (m.get_desc().equals(want)) {
      return m;
    }
    memory r = scratch(want);
    reorder(steps, m, r, false);
    return r;
  }

  /** Appends {@code acc += other} to {@code steps}, {@code other} in any layout. */
  void accumulate(List<Step> steps, memory acc, memory other) {
    binary(steps, algorithm.binary_add, acc, ensure(steps, other, acc.get_desc()), acc);
  }

  /**
   * Appends {@code dst = a (op) b}, {@code b} broadcast along its dimensions of extent 1; whether
   * oneDNN has an {@link #optimised} implementation of it.
   */
  boolean binary(List<Step> steps, algorithm op, memory a, memory b, memory dst) {
    binary.desc bd = own(new binary.desc(op, a.get_desc(), b.get_desc(), dst.get_desc()));
    primitive_attr attr = attr();
    binary.primitive_desc pd =
        build(
            KernelPolicy.Work.ELEMENTS,
            elements(dst.get_desc()),
            () -> new binary.primitive_desc(bd, attr, eng));
    add(steps, pd, binary::new, args(DNNL_ARG_SRC_0, a, DNNL_ARG_SRC_1, b, DNNL_ARG_DST, dst));
    return optimised(pd);
  }

  /** Whether {@code pd} runs an optimised implementation, not oneDNN's reference ({@code ref}). */
  static boolean optimised(primitive_desc_base pd) {
    return !pd.impl_info_str().getString().startsWith("ref");
  }

  /** A plain buffer's values (after {@link #run}, or in a step after the stream's wait). */
  static float[] read(memory m) {
    int count = (int) (m.get_desc().get_size() / Float.BYTES);
    float[] values = new float[count];
    floats(m, count).get(values);
    return values;
  }

  /** Writes {@code values} into plain buffer {@code m}. */
  static void write(float[] values, memory m) {
    floats(m, values.length).put(values);
  }

  /** The first {@code length} floats of {@code m}'s buffer, in place. */
  static FloatPointer floats(memory m, long length) {
    return new FloatPointer(m.get_data_handle()).capacity(length);
  }

  /** The first {@code length} floats of {@code m}'s buffer, in place, as a NIO buffer. */
  static FloatBuffer floatBuffer(memory m, long length) {
    return floats(m, length).limit(length).asBuffer();
  }

  void run(List<Step> steps) {
    if (scratchpadBuffer == null && scratchpadBytes > 0) {
      allocateScratchpads();
    }
    callerTeam = serial.isEmpty() ? 1 : OpenMpTeam.size();
    try {
      if (NativeProfile.ENABLED) {
        NativeProfile.run(steps, strm);
        return;
      }
      for (Step step : steps) {
        step.run(strm);
      }
      strm._wait();
    } finally {
      team(false);
    }
  }

  @Override
  public void close() {
    for (int i = owned.size() - 1; i >= 0; i--) {
      owned.get(i).close();
    }
    owned.clear();
    bound.clear();
    keyOf.clear();
  }
}
