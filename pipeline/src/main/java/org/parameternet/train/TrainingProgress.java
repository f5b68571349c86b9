package org.parameternet.train;

import java.time.Duration;
import java.util.Locale;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Driver progress: updates done of total with ETA, epoch, loss and images/s. */
final class TrainingProgress implements AutoCloseable {
  private final ProgressBar bar;

  TrainingProgress(String task, long totalSteps, long doneSteps) {
    ProgressBarBuilder builder =
        new ProgressBarBuilder()
            .setTaskName(task)
            .setInitialMax(totalSteps)
            .setUnit(" steps", 1)
            .startsFrom(doneSteps, Duration.ZERO);
    if (System.console() == null) {
      builder.setConsumer(new DelegatingProgressBarConsumer(System.err::println, 200));
      builder.setStyle(ProgressBarStyle.ASCII);
      builder.setUpdateIntervalMillis(5000);
    }
    bar = builder.build();
  }

  void update(long step, int epoch, int epochs, double loss, double imagesPerSecond) {
    bar.stepTo(step);
    bar.setExtraMessage(
        String.format(
            Locale.ROOT,
            "epoch %d/%d loss %.4f %.1f img/s",
            epoch + 1,
            epochs,
            loss,
            imagesPerSecond));
  }

  @Override
  public void close() {
    bar.close();
  }
}
