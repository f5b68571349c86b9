package org.parameternet.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The single-thread latency child runs on one core: one OpenMP and OpenBLAS thread, and a JVM that
 * collects garbage and compiles in the measured thread's time, whatever collector the parent runs.
 * A JVM started with the child's options reports its flags (a conflicting collector choice would
 * not start at all).
 */
class SingleThreadLatencyTest {
  @Test
  void theChildJvmCollectsAndCompilesInTheMeasuredThread()
      throws IOException, InterruptedException {
    List<String> parent =
        List.of(
            "-Xmx256m", "-XX:+UseG1GC", "-XX:ParallelGCThreads=2", "-XX:+BackgroundCompilation");
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(SingleThreadLatency.jvmOptions(parent));
    command.add("-XX:+PrintFlagsFinal");
    command.add("-version");
    Process jvm = new ProcessBuilder(command).redirectErrorStream(true).start();
    String flags = new String(jvm.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, jvm.waitFor(), flags);
    assertEquals("true", flag(flags, "UseSerialGC"));
    assertEquals("false", flag(flags, "UseG1GC"));
    assertEquals("false", flag(flags, "BackgroundCompilation"));
    assertTrue(command.contains("-Xmx256m"), "the parent's other options are kept");
  }

  @Test
  void theChildRunsOneNativeThread() {
    ProcessBuilder child = SingleThreadLatency.singleThreaded(List.of("latency"));
    assertEquals("1", child.environment().get("OMP_NUM_THREADS"));
    assertEquals("1", child.environment().get("OPENBLAS_NUM_THREADS"));
    assertTrue(
        child.command().containsAll(SingleThreadLatency.ONE_CORE), child.command().toString());
  }

  private static String flag(String flags, String name) {
    Matcher m = Pattern.compile("\\b" + name + "\\s+=\\s+(\\w+)").matcher(flags);
    assertTrue(m.find(), name + " not in " + flags);
    return m.group(1);
  }
}
