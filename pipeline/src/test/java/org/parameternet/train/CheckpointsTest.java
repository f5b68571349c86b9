package org.parameternet.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.deeplearning4j.util.ModelSerializer;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.dataset.DataSet;
import org.nd4j.linalg.dataset.api.DataSetPreProcessor;
import org.nd4j.linalg.factory.Nd4j;

class CheckpointsTest {
  @TempDir java.nio.file.Path dir;

  /** A micro network as training builds it (also for other tests of this package). */
  static ComputationGraph network() {
    TrainConfig config =
        TrainConfig.from(
            ConfigFactory.parseString(
                "train { model = ghostnet_micro_32, data.path = x, out = x, epochs = 2,"
                    + " dropout = 0, schedule.warmup-epochs = 1 }"));
    CosineWarmupSchedule schedule = new CosineWarmupSchedule(0.005, 1e-6, 1e-5, 20, 100, 1.0);
    return TrainingNetworks.create(config, config.spec(6), schedule);
  }

  /**
   * A power loss after the rename can leave a newest checkpoint whose model.zip is short though
   * _COMPLETE is there: resume takes the one before, and loading the damaged one says what is
   * wrong. A flipped byte is caught the same way.
   */
  @Test
  void aDamagedNewestCheckpointIsSkippedAndNamed() throws IOException {
    FileSystem fs = FileSystem.getLocal(new Configuration()).getRawFileSystem();
    ComputationGraph net = network();
    Checkpoints store = new Checkpoints(fs, new Path(dir.toUri()));
    Path older = store.save(net, null, state(4), null, "train {}", 3);
    Path newer = store.save(net, null, state(8), null, "train {}", 3);
    Path newest = store.save(net, null, state(12), null, "train {}", 3);
    assertEquals(newest, store.latest());

    java.nio.file.Path model = java.nio.file.Path.of(new Path(newest, Checkpoints.MODEL).toUri());
    byte[] bytes = Files.readAllBytes(model);
    Files.write(model, Arrays.copyOf(bytes, bytes.length / 2));
    assertEquals(newer, store.latest());
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(fs, newest, false));
    assertTrue(
        e.getMessage().contains("model.zip has " + bytes.length / 2 + " bytes"), e.getMessage());

    java.nio.file.Path state = java.nio.file.Path.of(new Path(newer, Checkpoints.STATE).toUri());
    byte[] json = Files.readAllBytes(state);
    json[json.length / 2] ^= 1;
    Files.write(state, json);
    assertEquals(older, store.latest());
  }

  /** A checkpoint of an earlier pnet, whose marker holds only the step, is still taken. */
  @Test
  void aMarkerWithoutChecksumsIsTrustedAsBefore() throws IOException {
    FileSystem fs = FileSystem.getLocal(new Configuration()).getRawFileSystem();
    Checkpoints store = new Checkpoints(fs, new Path(dir.toUri()));
    Path saved = store.save(network(), null, state(4), null, "train {}", 2);
    Files.writeString(
        java.nio.file.Path.of(new Path(saved, Checkpoints.COMPLETE).toUri()), "step 4\n");
    assertEquals(saved, store.latest());
    assertEquals(4, Checkpoints.load(fs, saved, false).state().iteration());
  }

  private static TrainingState state(long iteration) {
    return new TrainingState("ghostnet_micro_32", 6, 0, 1, iteration, 100, 32, 1, 1);
  }

  /** Parameters, Adam state and schedule position survive: training continues identically. */
  @Test
  void aRestoredNetworkTrainsOnExactlyLikeTheOriginal() throws IOException {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Nd4j.getRandom().setSeed(3);
    DataSet batch =
        new DataSet(
            Nd4j.rand(DataType.FLOAT, 8, 3, 32, 32),
            Nd4j.eye(8).getColumns(0, 1, 2, 3, 4, 5).castTo(DataType.FLOAT));
    ComputationGraph net = network();
    for (int i = 0; i < 4; i++) {
      net.fit(batch);
    }
    Checkpoints store = new Checkpoints(fs, new Path(dir.toUri()));
    TrainingState state = new TrainingState("ghostnet_micro_32", 6, 0, 1, 4, 100, 32, 1, 1);
    Path saved = store.save(net, null, state, null, "train {}", 2);
    Checkpoints.Loaded loaded = Checkpoints.load(fs, saved, true);
    assertEquals(state, loaded.state());
    assertNull(loaded.ema());
    ComputationGraph restored = loaded.network();
    restored.getConfiguration().setIterationCount(4);
    for (int i = 0; i < 3; i++) {
      net.fit(batch);
      restored.fit(batch);
      assertEquals(net.score(), restored.score(), 1e-6, "score after step " + (5 + i));
    }
    assertEquals(0.0, net.params().sub(restored.params()).amaxNumber().doubleValue(), 1e-6);
  }

  @Test
  void onlyTheNewestCheckpointsAreKeptAndTemporariesAreIgnored() throws IOException {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Path out = new Path(dir.toUri());
    Checkpoints store = new Checkpoints(fs, out);
    ComputationGraph net = network();
    for (int step = 1; step <= 4; step++) {
      store.save(
          net,
          net.params(),
          new TrainingState("ghostnet_micro_32", 6, 0, step, step, 100, step, 1, 1),
          null,
          "train {}",
          2);
    }
    Path crashed = new Path(out, "checkpoints/.tmp-" + UUID.randomUUID());
    fs.mkdirs(crashed);
    List<Path> kept = store.list();
    assertEquals(2, kept.size());
    assertTrue(store.latest().getName().endsWith("000000000004"));
    assertEquals(4, Checkpoints.load(fs, store.latest(), false).state().iteration());
    store.removeIncomplete();
    assertTrue(!fs.exists(crashed));
    assertEquals(store.latest(), Checkpoints.resolve(fs, out));
  }

  /**
   * On an object store the rename into place is a copy: a crash can leave a {@code step-*} with
   * some files. Without its completion marker it is not listed, the previous one is the latest, and
   * loading it is refused.
   */
  @Test
  void aCheckpointCopiedOnlyInPartIsNotACheckpoint() throws IOException {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Path out = new Path(dir.toUri());
    Checkpoints store = new Checkpoints(fs, out);
    ComputationGraph net = network();
    for (int step = 1; step <= 2; step++) {
      store.save(
          net,
          null,
          new TrainingState("ghostnet_micro_32", 6, 0, step, step, 100, step, 1, 1),
          null,
          "train {}",
          5);
    }
    Path cut = store.latest();
    fs.delete(new Path(cut, Checkpoints.COMPLETE), false);
    fs.delete(new Path(cut, Checkpoints.MODEL), false);

    assertEquals(List.of(cut), store.incomplete());
    assertEquals(1, store.list().size());
    assertTrue(store.latest().getName().endsWith("000000000001"));
    IllegalArgumentException e =
        Assertions.assertThrows(
            IllegalArgumentException.class, () -> Checkpoints.load(fs, cut, false));
    assertTrue(e.getMessage().contains("incomplete checkpoint"), e.getMessage());
  }

  /** Set when a {@link Tripwire} is deserialized: the code a crafted archive would run. */
  static volatile boolean tripped;

  /** A preprocessor whose deserialization has a visible effect. */
  public static final class Tripwire implements DataSetPreProcessor, Serializable {
    @Override
    public void preProcess(org.nd4j.linalg.dataset.api.DataSet dataSet) {}

    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
      in.defaultReadObject();
      tripped = true;
    }
  }

  /**
   * A model.zip with an extra {@code preprocessor.bin} (a Java-serialized object): DL4J's loader
   * deserializes it, running its code; the checkpoint loader refuses the archive unread.
   */
  @Test
  void aModelArchiveWithAnEntryPnetNeverWritesIsRefusedUnread() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Checkpoints store = new Checkpoints(fs, new Path(dir.toUri()));
    Path saved =
        store.save(
            network(),
            null,
            new TrainingState("ghostnet_micro_32", 6, 0, 1, 1, 100, 1, 1, 1),
            null,
            "train {}",
            2);
    java.nio.file.Path model = java.nio.file.Path.of(new Path(saved, Checkpoints.MODEL).toUri());
    java.nio.file.Path crafted = dir.resolve("crafted.zip");
    try (var in = new ZipInputStream(Files.newInputStream(model));
        var out = new ZipOutputStream(Files.newOutputStream(crafted))) {
      for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
        out.putNextEntry(new ZipEntry(e.getName()));
        in.transferTo(out);
      }
      out.putNextEntry(new ZipEntry("preprocessor.bin"));
      var objects = new ObjectOutputStream(out);
      objects.writeObject(new Tripwire());
      objects.flush();
    }
    tripped = false;
    ModelSerializer.restoreComputationGraph(crafted.toFile(), false);
    assertTrue(tripped, "DL4J's own loader runs the archive's code (the danger is real)");

    tripped = false;
    Files.copy(crafted, model, StandardCopyOption.REPLACE_EXISTING);
    fs.delete(new Path(saved, "." + Checkpoints.MODEL + ".crc"), false);
    // Whoever can write the archive can seal it too: the seal catches damage, not intent. The
    // marker deleted is the one this test's own save() wrote into its own @TempDir.
    fs.delete(new Path(saved, Checkpoints.COMPLETE), false);
    CheckpointSeal.write(fs, saved, 1);
    IllegalArgumentException e =
        Assertions.assertThrows(
            IllegalArgumentException.class, () -> Checkpoints.load(fs, saved, true));
    assertTrue(e.getMessage().contains("'preprocessor.bin'"), e.getMessage());
    assertTrue(!tripped, "refused unread");
  }
}
