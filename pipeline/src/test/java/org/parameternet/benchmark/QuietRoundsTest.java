package org.parameternet.benchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link QuietRounds} and {@link OtherLoad}: another process's work marks a call disturbed and buys
 * its model more rounds, this process's own threads do not count, and the headline is the median of
 * the clean calls (the PyTorch peer's rule).
 */
class QuietRoundsTest {
  private static final double NAN = Double.NaN;

  @Test
  void anotherProcessAtWorkDisturbsEveryCallAndBuysMoreRounds() throws Exception {
    Process busy = new ProcessBuilder("sh", "-c", "while :; do :; done").start();
    try {
      Thread.sleep(200);
      assertTrue(
          OtherLoad.waitUntilIdle(0.6, 0.15) >= 0.6,
          "the wait for idle gives up only after its limit while another process works");
      QuietRounds.Result r =
          QuietRounds.time(
              List.of(() -> sleep(150), () -> sleep(150)),
              3,
              new QuietRounds.Settings(0.3, 0.15, 2, 1));

      for (int m = 0; m < 2; m++) {
        assertEquals(6, r.runs(m), "disturbed models run up to twice the rounds");
        assertEquals(0, r.cleanRuns(m));
        for (int round = 0; round < 6; round++) {
          assertTrue(
              r.otherCores()[m][round] > 0.5,
              "a busy shell loop is another process's core: " + r.otherCores()[m][round]);
        }
        double[] all = Arrays.copyOf(r.seconds()[m], 6);
        assertEquals(QuietRounds.median(all), r.headlineSeconds(m), 1e-12);
      }
    } finally {
      busy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void thisProcesssOwnThreadsAreNotOtherLoad() {
    Runnable burnTwoCores =
        () -> {
          Thread helper = new Thread(() -> spin(200));
          helper.start();
          spin(200);
          try {
            helper.join();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        };
    QuietRounds.Result r =
        QuietRounds.time(List.of(burnTwoCores), 3, new QuietRounds.Settings(2, 0.15, 2, 1));

    double others = r.medianOtherCores(0);
    assertTrue(others < 0.5, "two of this JVM's threads spinning read as others: " + others);
    assertTrue(r.ownCores(0) > 1.2, "two spinning threads are ~2 own cores: " + r.ownCores(0));
  }

  @Test
  void theHeadlineIsTheMedianOfCleanCallsWhenThereAreThree() {
    double[][] seconds = {{1, 1, 1, 1, NAN, NAN}, {2, 3, 4, 10, 30, NAN}};
    double[][] others = {{0, 0, 0, 0, NAN, NAN}, {0, 0.1, 0.9, 0, 2, NAN}};
    QuietRounds.Result r = new QuietRounds.Result(seconds, others, new double[] {1, 2}, 0.15);

    assertEquals(5, r.runs(1));
    assertEquals(3, r.cleanRuns(1));
    assertEquals(3, r.headlineSeconds(1), 1e-12, "median of 2, 3, 10 (4 and 30 disturbed)");
    assertEquals(49 / 5.0, r.meanSeconds(1), 1e-12, "the mean counts every call");
    double[] ratio = r.ratioToFirst(1);
    assertEquals(49 / 5.0, ratio[0], 1e-12);
    assertEquals(3, ratio[1], 1e-12, "rounds 0, 1 and 3 are clean for both: ratios 2, 3, 10");

    double[][] fewClean = {{0, 0, 0, 0, NAN, NAN}, {0, 0.5, 0.9, 0, 2, NAN}};
    QuietRounds.Result few = new QuietRounds.Result(seconds, fewClean, new double[] {1, 2}, 0.15);
    assertEquals(4, few.headlineSeconds(1), 1e-12, "two clean calls: the median of all five");
    assertEquals(3.5, few.ratioToFirst(1)[1], 1e-12, "the four rounds both ran: 2, 3, 4, 10");
  }

  @Test
  void badSettingsAreRefusedByName() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> new QuietRounds.Settings(-1, 0.15, 2, 1));
    assertTrue(e.getMessage().contains("idle wait -1.0 s"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new QuietRounds.Settings(1, 0, 2, 1));
    assertThrows(IllegalArgumentException.class, () -> new QuietRounds.Settings(1, 0.15, 0, 1));
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void spin(long ms) {
    long end = System.nanoTime() + ms * 1_000_000;
    double x = 0;
    while (System.nanoTime() < end) {
      x += Math.sqrt(x + 1);
    }
    if (x < 0) {
      System.out.println(x);
    }
  }
}
