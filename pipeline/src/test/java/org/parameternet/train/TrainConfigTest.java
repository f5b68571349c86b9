package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.File;
import java.util.List;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
  private static final String MINIMAL = "train { data.path = /d, out = /o }";

  private static String error(String hocon, String... overrides) {
    return assertThrows(
            IllegalArgumentException.class,
            () ->
                TrainConfig.from(
                    TrainConfig.withOverrides(
                        ConfigFactory.parseString(hocon), List.of(overrides))))
        .getMessage();
  }

  @Test
  void defaultsAreThePapersRecipe() {
    TrainConfig c = TrainConfig.from(ConfigFactory.parseString(MINIMAL));
    assertEquals(0.05, c.optimizer().weightDecay());
    assertEquals(0.1, c.labelSmoothing());
    assertEquals("rand-m9-mstd0.5", c.augment().randAugment());
    assertEquals(0.25, c.augment().erasing(), 0);
    assertEquals(0.9999, c.emaDecay());
    assertEquals(0.2, c.dropout());
    assertEquals(64, c.resolution(), "the model's native resolution");
  }

  @Test
  void overridesWinAndMayOmitTheRootKey() {
    TrainConfig c =
        TrainConfig.from(
            TrainConfig.withOverrides(
                ConfigFactory.parseString(MINIMAL),
                List.of(
                    "epochs=3",
                    "schedule.warmup-epochs=1",
                    "train.optimizer.lr = 0.01",
                    "model=ghostnet_micro_32")));
    assertEquals(3, c.epochs());
    assertEquals(0.01, c.optimizer().lr());
    assertEquals(32, c.resolution());
  }

  @Test
  void badKeysAndValuesAreNamed() {
    assertTrue(error(MINIMAL, "epoch=3").contains("train.epoch"));
    assertTrue(error(MINIMAL, "model=resnet50").contains("train.model = resnet50"));
    assertTrue(error(MINIMAL, "model=resnet50").contains("parameternet_300m"));
    assertTrue(error("train { out = /o }").contains("train.data.path is required"));
    assertTrue(error(MINIMAL, "batch-per-worker=0").contains("train.batch-per-worker = 0"));
    assertTrue(error(MINIMAL, "optimizer.lr=fast").contains("train.optimizer.lr"));
    assertTrue(error(MINIMAL, "augment.rand-augment=\"rand-x9\"").contains("rand-x9"));
    assertTrue(error(MINIMAL, "schedule.warmup-epochs=20", "epochs=10").contains("warmup-epochs"));
    assertTrue(error(MINIMAL, "ema-decay=1").contains("train.ema-decay"));
    assertTrue(error(MINIMAL, "nokey").contains("key=value"));
  }

  @Test
  void experimentFilesInConfAreValid() {
    File[] files = new File("../conf/experiments").listFiles((d, n) -> n.endsWith(".conf"));
    assertTrue(files != null && files.length >= 3, "conf/experiments has the experiment files");
    for (File f : files) {
      TrainConfig c = TrainConfig.load(f, List.of("data.path=/d", "out=/o"));
      assertTrue(c.epochs() > 0, f.getName());
    }
  }
}
