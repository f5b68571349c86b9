package org.parameternet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The wait policy reaches OpenMP itself: a fresh JVM (libgomp reads its environment once, when it
 * loads) prints libgomp's own settings ({@code OMP_DISPLAY_ENV=VERBOSE}), and with PASSIVE its spin
 * count is 0. Without the call, libgomp spins (300000), so the check can fail.
 */
class NativeThreadsTest {
  private static final String SPINS_NONE = "GOMP_SPINCOUNT = '0'";

  private record Child(int code, String output) {}

  /** A JVM that sets the policy (or not, {@code prefer} false) and then loads ND4J's natives. */
  public static final class Probe {
    public static void main(String[] args) {
      if (Boolean.parseBoolean(args[0])) {
        System.out.println("policy: " + NativeThreads.preferPassiveWaiting());
      }
      System.out.println("sum: " + Nd4j.ones(4).sumNumber());
      System.out.println("policy after loading: " + NativeThreads.preferPassiveWaiting());
    }
  }

  private static Child probe(boolean prefer, String userPolicy)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElse("java"));
    command.addAll(
        List.of(
            "-cp",
            System.getProperty("java.class.path"),
            Probe.class.getName(),
            Boolean.toString(prefer)));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().remove("JDK_JAVA_OPTIONS");
    builder.environment().remove("JAVA_TOOL_OPTIONS");
    builder.environment().remove("GOMP_SPINCOUNT");
    builder.environment().remove(NativeThreads.WAIT_POLICY);
    if (userPolicy != null) {
      builder.environment().put(NativeThreads.WAIT_POLICY, userPolicy);
    }
    builder.environment().put("OMP_DISPLAY_ENV", "VERBOSE");
    Process child = builder.start();
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(child.waitFor(2, TimeUnit.MINUTES), "the child JVM finished");
    assertEquals(0, child.exitValue(), output);
    return new Child(child.exitValue(), output);
  }

  @Test
  void idleOpenMpThreadsSleepOnceThePolicyIsSet() throws Exception {
    Child child = probe(true, null);
    assertTrue(child.output().contains("policy: PASSIVE"), child.output());
    assertTrue(child.output().contains(SPINS_NONE), child.output());
  }

  @Test
  void withoutItOpenMpSpinsAndItIsTooLateOnceLoaded() throws Exception {
    Child child = probe(false, null);
    assertTrue(!child.output().contains(SPINS_NONE), child.output());
    assertTrue(child.output().contains("policy after loading: null"), child.output());
  }

  @Test
  void aPolicyTheUserSetIsKept() throws Exception {
    Child child = probe(true, "ACTIVE");
    assertTrue(child.output().contains("policy: ACTIVE"), child.output());
    assertTrue(child.output().contains("OMP_WAIT_POLICY = 'ACTIVE'"), child.output());
  }
}
