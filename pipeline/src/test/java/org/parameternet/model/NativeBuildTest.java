package org.parameternet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The nd4j-native build follows the CPU's flags (crafted {@code /proc/cpuinfo} files: an AVX-512
 * CPU, an AVX2-only one, one lacking a single AVX-512 subset, processors that disagree), the
 * property forces either, and the library a fresh JVM maps is the one chosen.
 */
class NativeBuildTest {
  /** An AVX2-only CPU's flags (Haswell). */
  private static final String AVX2_CPU =
      "fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse"
          + " sse2 ss ht syscall nx pdpe1gb rdtscp lm constant_tsc pni pclmulqdq ssse3 fma cx16"
          + " sse4_1 sse4_2 movbe popcnt aes xsave avx f16c rdrand hypervisor lahf_lm abm fsgsbase"
          + " bmi1 avx2 smep bmi2 erms invpcid xsaveopt";

  /** This machine's kind (AMD EPYC, Zen 4): AVX-512 with its extensions. */
  private static final String AVX512_CPU =
      AVX2_CPU
          + " avx512f avx512dq avx512ifma avx512cd avx512bw avx512vl avx512_bf16 avx512vbmi"
          + " avx512_vbmi2 avx512_vnni avx512_bitalg avx512_vpopcntdq";

  private static Path cpuinfo(Path dir, String... flagsPerProcessor) throws IOException {
    StringBuilder text = new StringBuilder();
    for (int p = 0; p < flagsPerProcessor.length; p++) {
      text.append("processor\t: ").append(p).append('\n');
      text.append("model name\t: a CPU: with colons\n");
      text.append("flags\t\t: ").append(flagsPerProcessor[p]).append("\n\n");
    }
    Path file = dir.resolve("cpuinfo");
    Files.writeString(file, text);
    return file;
  }

  @Test
  void followsTheCpusFlags(@TempDir Path dir) throws IOException {
    assertEquals(NativeBuild.AVX512, auto(cpuinfo(dir, AVX512_CPU, AVX512_CPU)));
    assertEquals(NativeBuild.AVX2, auto(cpuinfo(dir, AVX2_CPU, AVX2_CPU)));
    for (String missing : NativeBuild.AVX512_FLAGS) {
      assertEquals(
          NativeBuild.AVX2,
          auto(cpuinfo(dir, AVX512_CPU.replace(" " + missing + " ", " "))),
          "without " + missing);
    }
    assertEquals(
        NativeBuild.AVX2,
        auto(cpuinfo(dir, AVX512_CPU, AVX512_CPU.replace(" avx512vl", ""))),
        "a processor without AVX-512VL");
    assertEquals(NativeBuild.AVX2, auto(dir.resolve("absent")), "no cpuinfo");
    assertEquals(NativeBuild.AVX2, auto(cpuinfo(dir)), "no flags line");
  }

  private static String auto(Path cpuinfo) {
    return NativeBuild.choose("auto", NativeBuild.cpuFlags(cpuinfo));
  }

  @Test
  void thePropertyForcesEither() {
    Set<String> avx512 = Set.of(AVX512_CPU.split(" "));
    Set<String> avx2 = Set.of(AVX2_CPU.split(" "));
    assertEquals(NativeBuild.AVX2, NativeBuild.choose("avx2", avx512));
    assertEquals(NativeBuild.AVX512, NativeBuild.choose(" AVX512 ", avx2));
    assertThrows(IllegalArgumentException.class, () -> NativeBuild.choose("avx", avx512));
  }

  /** A JVM that chooses (or not) and then loads ND4J, printing both. */
  public static final class Probe {
    public static void main(String[] args) {
      if (Boolean.parseBoolean(args[0])) {
        System.out.println("chosen: " + NativeBuild.select());
      }
      System.out.println("sum: " + Nd4j.ones(4).sumNumber());
      System.out.println("loaded: " + NativeBuild.loaded().orElse("none"));
    }
  }

  private static String probe(boolean select, String... properties)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(List.of(properties));
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            Probe.class.getName(),
            Boolean.toString(select)));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove("JDK_JAVA_OPTIONS");
    builder.environment().remove("JAVA_TOOL_OPTIONS");
    Process child = builder.start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(child.waitFor(2, TimeUnit.MINUTES), "the child JVM finished");
    assertEquals(0, child.exitValue(), output);
    return output;
  }

  @Test
  void theLoadedLibraryIsTheChosenOne() throws Exception {
    String expected = NativeBuild.forThisCpu();
    String output = probe(true);
    assertTrue(output.contains("chosen: " + expected + "\n"), output);
    assertTrue(output.contains("loaded: " + expected + "\n"), output);

    output = probe(true, "-D" + NativeBuild.PROPERTY + "=avx2");
    assertTrue(output.contains("loaded: " + NativeBuild.AVX2 + "\n"), output);

    // a JavaCPP extension the user set is kept
    output =
        probe(
            true,
            "-D" + NativeBuild.PROPERTY + "=avx512",
            "-D" + NativeBuild.JAVACPP_EXTENSION + "=" + NativeBuild.AVX2);
    assertTrue(output.contains("loaded: " + NativeBuild.AVX2 + "\n"), output);
  }

  @Test
  void withoutAChoiceJavaCppTakesTheAvx2Build() throws Exception {
    // the safe default on any CPU, and why select() must run first on an AVX-512 one
    String output = probe(false);
    assertTrue(output.contains("loaded: " + NativeBuild.AVX2 + "\n"), output);
  }

  @Test
  void thisMachineLoadsTheAvx512BuildWhereItHasAvx512() throws Exception {
    Set<String> flags = NativeBuild.cpuFlags(Path.of("/proc/cpuinfo"));
    if (flags.containsAll(NativeBuild.AVX512_FLAGS)) {
      assertTrue(probe(true).contains("loaded: " + NativeBuild.AVX512 + "\n"));
    }
  }
}
