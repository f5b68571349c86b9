package org.parameternet.benchmark;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * Calls timed in rounds the way the PyTorch peer's harness times its own steps ({@code
 * parameternet_ref.py --bench}), so that a side-by-side ratio compares like with like: before a
 * call, wait until other processes are idle ({@link OtherLoad#waitUntilIdle}); record the cores
 * they used during the call; a call during which they used {@code cleanThreshold} cores or more is
 * disturbed, and its model gets more rounds, up to {@code retryFactor} times the rounds asked for;
 * a model's headline is the median of its clean calls when there are at least 3, else the median of
 * all. One round calls each model once, in the given order in even rounds and reversed in odd ones.
 */
public final class QuietRounds {
  private QuietRounds() {}

  /**
   * How calls are timed.
   *
   * @param idleWaitSeconds the longest wait for idle before a call; 0 measures without waiting
   * @param cleanThreshold other processes' cores below which a call is clean
   * @param retryFactor the rounds at most, as a multiple of the rounds asked for
   * @param waitEvery wait for idle before every call (1), or only in every n-th round
   */
  record Settings(double idleWaitSeconds, double cleanThreshold, int retryFactor, int waitEvery) {
    Settings {
      if (!(idleWaitSeconds >= 0) || !(cleanThreshold > 0) || retryFactor < 1 || waitEvery < 1) {
        throw new IllegalArgumentException(
            "bad quiet-round settings: idle wait "
                + idleWaitSeconds
                + " s, clean threshold "
                + cleanThreshold
                + " cores, retry factor "
                + retryFactor
                + ", wait every "
                + waitEvery);
      }
    }

    /** The peer's defaults for training steps: wait up to 10 s, clean below 0.15 cores. */
    static Settings training(double idleWaitSeconds, double cleanThreshold) {
      return new Settings(idleWaitSeconds, cleanThreshold, 2, 1);
    }

    /** As the peer times latency runs: the wait for idle only every fifth round. */
    static Settings latency(double idleWaitSeconds, double cleanThreshold) {
      return new Settings(idleWaitSeconds, cleanThreshold, 2, 5);
    }
  }

  /**
   * Each model's calls by round: seconds and other processes' cores, NaN in the rounds a model did
   * not run (past the rounds asked for, only models short of clean calls run).
   */
  public record Result(
      double[][] seconds, double[][] otherCores, double[] ownCpuSeconds, double cleanThreshold) {
    boolean ran(int model, int round) {
      return !Double.isNaN(seconds[model][round]);
    }

    boolean clean(int model, int round) {
      return ran(model, round) && otherCores[model][round] < cleanThreshold;
    }

    int runs(int model) {
      return (int) IntStream.range(0, seconds[model].length).filter(r -> ran(model, r)).count();
    }

    int cleanRuns(int model) {
      return (int) IntStream.range(0, seconds[model].length).filter(r -> clean(model, r)).count();
    }

    /**
     * The calls a headline reads: the clean ones when there are at least 3, else all (the peer's
     * rule).
     */
    double[] headlineCalls(int model) {
      double[] clean = values(seconds[model], r -> clean(model, r));
      return clean.length >= 3 ? clean : values(seconds[model], r -> ran(model, r));
    }

    double headlineSeconds(int model) {
      return median(headlineCalls(model));
    }

    double meanSeconds(int model) {
      return Arrays.stream(values(seconds[model], r -> ran(model, r))).average().orElse(Double.NaN);
    }

    double totalSeconds(int model) {
      return Arrays.stream(values(seconds[model], r -> ran(model, r))).sum();
    }

    /** This process's CPU seconds over the model's calls, per second of them (cores busy). */
    double ownCores(int model) {
      return ownCpuSeconds[model] < 0 ? Double.NaN : ownCpuSeconds[model] / totalSeconds(model);
    }

    double medianOtherCores(int model) {
      return median(values(otherCores[model], r -> ran(model, r)));
    }

    /**
     * Model {@code m}'s time over model 0's: the ratio of their means over all calls, then the
     * median and quartiles of the ratios of the rounds in which both ran, over the rounds in which
     * both were clean when there are at least 3 of them.
     */
    public double[] ratioToFirst(int m) {
      int[] both =
          IntStream.range(0, seconds[0].length).filter(r -> ran(m, r) && ran(0, r)).toArray();
      int[] clean = Arrays.stream(both).filter(r -> clean(m, r) && clean(0, r)).toArray();
      int[] chosen = clean.length >= 3 ? clean : both;
      double[] perRound =
          Arrays.stream(chosen).mapToDouble(r -> seconds[m][r] / seconds[0][r]).toArray();
      Arrays.sort(perRound);
      return new double[] {
        meanSeconds(m) / meanSeconds(0),
        percentile(perRound, 0.5),
        percentile(perRound, 0.25),
        percentile(perRound, 0.75)
      };
    }

    private static double[] values(double[] byRound, IntPredicate keep) {
      return IntStream.range(0, byRound.length).filter(keep).mapToDouble(r -> byRound[r]).toArray();
    }
  }

  /** Times {@code rounds} rounds of the calls (more for models short of clean calls). */
  static Result time(List<Runnable> calls, int rounds, Settings settings) {
    int models = calls.size();
    int most = rounds * settings.retryFactor();
    double[][] seconds = new double[models][most];
    double[][] others = new double[models][most];
    for (double[] row : seconds) {
      Arrays.fill(row, Double.NaN);
    }
    int[] clean = new int[models];
    double[] cpu = new double[models];
    for (int round = 0; round < most; round++) {
      List<Integer> order = new ArrayList<>();
      for (int m = 0; m < models; m++) {
        if (round < rounds || clean[m] < rounds) {
          order.add(m);
        }
      }
      if (order.isEmpty()) {
        break;
      }
      if (round % 2 == 1) {
        Collections.reverse(order);
      }
      for (int m : order) {
        if (round % settings.waitEvery() == 0 && settings.idleWaitSeconds() > 0) {
          OtherLoad.waitUntilIdle(settings.idleWaitSeconds(), settings.cleanThreshold());
        }
        OtherLoad mark = OtherLoad.mark();
        long t0 = System.nanoTime();
        calls.get(m).run();
        seconds[m][round] = (System.nanoTime() - t0) / 1e9;
        OtherLoad.Since used = mark.since();
        others[m][round] = used.otherCores();
        cpu[m] = used.ownSeconds() < 0 || cpu[m] < 0 ? -1 : cpu[m] + used.ownSeconds();
        if (others[m][round] < settings.cleanThreshold()) {
          clean[m]++;
        }
      }
    }
    return new Result(seconds, others, cpu, settings.cleanThreshold());
  }

  static double median(double[] values) {
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    return percentile(sorted, 0.5);
  }

  static double percentile(double[] sorted, double q) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    double pos = q * (sorted.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = (int) Math.ceil(pos);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
  }
}
