package org.parameternet.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.parameternet.benchmark.IngestBenchmark;
import org.parameternet.data.OutputLockTest;
import org.parameternet.data.image.ImageOptions;
import org.parameternet.data.shards.DatasetLayout;
import org.parameternet.data.synth.SynthSpec;
import org.parameternet.data.synth.SynthWriter;
import org.parameternet.data.tar.TarIndex;
import org.parameternet.data.tar.TarMember;
import org.parameternet.testing.LocalSpark;

/** Every source layout end to end in Spark local mode, on data from {@link SynthWriter}. */
class IngestJobTest {
  @TempDir static java.nio.file.Path dir;
  static SparkSession spark;
  static FileSystem fs;
  static Path synth;
  static final SynthSpec SPEC =
      SynthSpec.builder()
          .classes22k(10)
          .classes1k(4)
          .perClass22k(3, 5)
          .perClass1k(4, 3)
          .size(64)
          .seed(3)
          .badInputs(true)
          .build();

  @BeforeAll
  static void setUp() throws IOException {
    spark = LocalSpark.start("ingest-test");
    fs = FileSystem.getLocal(new Configuration());
    synth = new Path(dir.resolve("synth").toUri());
    SynthWriter.write(fs, synth, SPEC);
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
  }

  static IngestOptions options(IngestFormat format, String source, String out, boolean overwrite) {
    return IngestOptions.builder(format, source, out)
        .image(new ImageOptions(48, 90, 0, 90_000_000L))
        .shardBytes(1 << 20)
        .splitBytes(1 << 20)
        .filesPerTask(7)
        .seed(11)
        .overwrite(overwrite)
        .build();
  }

  private static String out(String name) {
    return dir.resolve(name).toUri().toString();
  }

  /** Where the data set at {@code out} keeps its files, as its manifest says. */
  private static DatasetLayout layout(String out) throws IOException {
    return DatasetLayout.read(fs, new Path(out));
  }

  private static Map<String, Long> quarantineReasons(String out) throws IOException {
    Map<String, Long> reasons = new HashMap<>();
    for (Row r :
        spark
            .read()
            .parquet(layout(out).quarantine().toString())
            .groupBy("reason")
            .count()
            .collectAsList()) {
      reasons.put(r.getString(0), r.getLong(1));
    }
    return reasons;
  }

  @Test
  void in22kTarOfTarsIsFullyAccountedFor() throws IOException {
    String out = out("in22k");
    IngestSummary s =
        IngestJob.run(
            spark, options(IngestFormat.IN22K, synth + "/in22k/fall11_whole.tar", out, false));
    long synthInputs = countOf("in22k");
    // Every image member plus the README member; the cut member is one input, quarantined.
    assertEquals(synthInputs + 1, s.inputs());
    assertEquals(s.inputs(), s.written() + s.quarantined());
    assertEquals(
        Map.of(
            "not_an_image",
            1L,
            "corrupt",
            1L,
            "too_many_pixels",
            1L,
            "unreadable_archive",
            1L,
            "non_synset_member",
            1L),
        s.byReason());
    assertEquals(quarantineReasons(out), s.byReason());

    Dataset<Row> data = spark.read().parquet(layout(out).data().toString());
    assertEquals(s.written(), data.count());
    assertEquals(s.written(), data.select("key").distinct().count(), "keys must be unique");
    List<String> classes = lines(layout(out).classes().toString());
    assertEquals(SPEC.classes22k() + 1, classes.size());
    assertEquals("index\twnid\tname", classes.get(0));
    // Names from the words.txt beside the tar
    assertEquals("0\t" + SynthSpec.wnid(0) + "\tsynthetic class 0", classes.get(1));
    for (Row r :
        data.select("wnid", "label", "image", "height", "width", "split").collectAsList()) {
      assertEquals(SynthSpec.wnid(r.getInt(1)), r.getString(0));
      Row image = r.getStruct(2);
      var decoded = ImageIO.read(new ByteArrayInputStream((byte[]) image.get(0)));
      assertEquals(r.getInt(3), decoded.getHeight());
      assertEquals(r.getInt(4), decoded.getWidth());
      assertEquals(48, Math.min(decoded.getHeight(), decoded.getWidth()));
      assertFalse(
          image.getString(1).contains("/"), "image.path is a file name: " + image.getString(1));
      assertEquals("train", r.getString(5));
    }
    // The member named ../../x.JPEG is data: written under its synset, nothing escaped.
    assertEquals(1, data.filter("key like '%escape%'").count());
    assertFalse(fs.exists(new Path(dir.resolve(SynthSpec.wnid(0) + "_escape.JPEG").toUri())));
    assertTrue(fs.exists(DatasetLayout.manifestOf(new Path(out))));
  }

  @Test
  void in1kValLabelsFollowSortedWnidsNotDevkitIds() throws IOException {
    String out = out("val");
    IngestSummary s =
        IngestJob.run(spark, options(IngestFormat.IN1K_VAL, synth + "/in1k/val", out, false));
    assertEquals(SPEC.classes1k() * SPEC.valPerClass(), s.written());
    assertEquals(0, s.quarantined());
    Map<String, String> truthByImage = new HashMap<>();
    for (String line :
        lines(synth + "/in1k/LOC_val_solution.csv")
            .subList(1, s.written() == 0 ? 1 : (int) s.written() + 1)) {
      truthByImage.put(line.split(",")[0], line.split(",")[1].split(" ")[0]);
    }
    List<String> classes = lines(layout(out).classes().toString());
    for (Row r :
        spark
            .read()
            .parquet(layout(out).data().toString())
            .select("key", "wnid", "label", "split")
            .collectAsList()) {
      String stem = r.getString(0).replace("val/", "").replace(".JPEG", "");
      assertEquals(truthByImage.get(stem), r.getString(1), stem);
      assertEquals(r.getString(1), classes.get(r.getInt(2) + 1).split("\t")[1]);
      assertEquals("val", r.getString(3));
    }
  }

  /** The devkit's meta.mat gives the same labels as the text table and the Kaggle file. */
  @Test
  void in1kValReadsTheDevkitMetaMat() throws IOException {
    IngestOptions base = options(IngestFormat.IN1K_VAL, synth + "/in1k/val", out("val-mat"), false);
    IngestOptions withMat =
        base.toBuilder()
            .valLabels(synth + "/in1k/ILSVRC2012_validation_ground_truth.txt")
            .valSynsets(synth + "/in1k/meta.mat")
            .build();
    IngestSummary s = IngestJob.run(spark, withMat);
    assertEquals(SPEC.classes1k() * SPEC.valPerClass(), s.written());
    Map<String, String> truth = new HashMap<>();
    List<String> loc = lines(synth + "/in1k/LOC_val_solution.csv");
    for (String line : loc.subList(1, loc.size())) {
      truth.put("val/" + line.split(",")[0] + ".JPEG", line.split(",")[1].split(" ")[0]);
    }
    for (Row r :
        spark
            .read()
            .parquet(layout(out("val-mat")).data().toString())
            .select("key", "wnid")
            .collectAsList()) {
      assertEquals(truth.get(r.getString(0)), r.getString(1), r.getString(0));
    }
  }

  /**
   * ILSVRC2012_img_val.tar as distributed gives what the extracted folder gives: same images, same
   * labels. Cut off inside a member, the members before the cut are written and the cut one is
   * quarantined.
   */
  @Test
  void in1kValFromTheFlatTarMatchesTheFolder() throws IOException {
    String tar = synth + "/in1k/ILSVRC2012_img_val.tar";
    IngestSummary s =
        IngestJob.run(spark, options(IngestFormat.IN1K_VAL, tar, out("val-tar"), false));
    long expected = (long) SPEC.classes1k() * SPEC.valPerClass();
    assertEquals(expected, s.inputs());
    assertEquals(expected, s.written());
    Map<String, String> fromFolder = new HashMap<>();
    IngestJob.run(
        spark, options(IngestFormat.IN1K_VAL, synth + "/in1k/val", out("val-dir"), false));
    for (Row r :
        spark
            .read()
            .parquet(layout(out("val-dir")).data().toString())
            .select("key", "label")
            .collectAsList()) {
      fromFolder.put(r.getString(0).replace("val/", ""), String.valueOf(r.getInt(1)));
    }
    for (Row r :
        spark
            .read()
            .parquet(layout(out("val-tar")).data().toString())
            .select("key", "label", "source")
            .collectAsList()) {
      String name = r.getString(0).replace("ILSVRC2012_img_val/", "");
      assertEquals(fromFolder.get(name), String.valueOf(r.getInt(1)), name);
      assertTrue(r.getString(2).startsWith(tar + "!"), r.getString(2));
    }

    List<TarMember> members = TarIndex.of(fs, new Path(tar)).members();
    TarMember cutInside = members.get(members.size() / 2);
    Path cut = new Path(dir.resolve("cut-val/ILSVRC2012_img_val.tar").toUri());
    byte[] head = new byte[(int) (cutInside.dataOffset() + cutInside.size() / 2)];
    try (var in = fs.open(new Path(tar))) {
      in.readFully(0, head);
    }
    try (var o = fs.create(cut)) {
      o.write(head);
    }
    IngestSummary c =
        IngestJob.run(
            spark,
            options(IngestFormat.IN1K_VAL, cut.toString(), out("val-cut"), false).toBuilder()
                .valLabels(synth + "/in1k/LOC_val_solution.csv")
                .build());
    assertEquals(members.size() / 2, c.written());
    assertEquals(1, c.quarantined());
    assertEquals(c.inputs(), c.written() + c.quarantined());
    assertEquals(Map.of("unreadable_archive", 1L), c.byReason());
  }

  @Test
  void in1kTrainAndFoldersIngestEveryImage() throws IOException {
    IngestSummary train =
        IngestJob.run(
            spark,
            options(
                IngestFormat.IN1K_TRAIN,
                synth + "/in1k/ILSVRC2012_img_train.tar",
                out("train"),
                false));
    assertEquals((long) SPEC.classes1k() * SPEC.trainPerClass(), train.written());
    assertEquals(SPEC.classes1k(), train.classes());
    IngestSummary folders =
        IngestJob.run(
            spark, options(IngestFormat.FOLDERS, synth + "/folders", out("folders"), false));
    assertEquals(countOf("folders"), folders.written());
    assertEquals(0, folders.quarantined());
  }

  @Test
  void aDirectoryOfSynsetTarsWorksLikeTheOuterTar() throws IOException {
    Path archive = new Path(synth + "/in1k/ILSVRC2012_img_train.tar");
    Path folder = new Path(dir.resolve("synset-tars").toUri());
    fs.mkdirs(folder);
    for (TarMember m : TarIndex.of(fs, archive).members()) {
      byte[] bytes = new byte[(int) m.size()];
      try (var in = fs.open(archive)) {
        in.readFully(m.dataOffset(), bytes);
      }
      try (var o = fs.create(new Path(folder, m.name()))) {
        o.write(bytes);
      }
    }
    try (var o = fs.create(new Path(folder, "notes.txt"))) {
      o.write("not a synset".getBytes(StandardCharsets.UTF_8));
    }
    IngestSummary s =
        IngestJob.run(
            spark, options(IngestFormat.IN1K_TRAIN, folder.toString(), out("from-dir"), false));
    assertEquals((long) SPEC.classes1k() * SPEC.trainPerClass(), s.written());
    assertEquals(Map.of("non_synset_member", 1L), s.byReason());
  }

  /** 999 of the 1000 1K wnids are in fall11; here all but the one SynthSpec leaves out. */
  @Test
  void oneKLabelsAreMappedOntoThe22kLabelSpace() throws IOException {
    IngestJob.run(
        spark, options(IngestFormat.IN22K, synth + "/in22k/fall11_whole.tar", out("in22k"), false));
    IngestOptions base =
        options(
            IngestFormat.IN1K_TRAIN,
            synth + "/in1k/ILSVRC2012_img_train.tar",
            out("mapped"),
            false);
    IngestOptions mapped = base.toBuilder().mapTo(out("in22k")).build();
    IngestJob.run(spark, mapped);
    List<String> map = lines(layout(out("mapped")).labelMap().toString());
    assertEquals("label\twnid\ttarget_label", map.get(0));
    assertEquals(SPEC.classes1k() + 1, map.size());
    for (int i = 1; i < map.size(); i++) {
      String[] cols = map.get(i).split("\t");
      String expected = cols[1].equals(SPEC.missingFrom22k()) ? "-1" : Integer.toString(i - 1);
      assertEquals(expected, cols[2], map.get(i));
    }
    String dataset = String.join("\n", lines(layout(out("mapped")).manifest().toString()));
    assertTrue(dataset.contains("\"mapped\" : " + (SPEC.classes1k() - 1)), dataset);
    assertTrue(dataset.contains(SPEC.missingFrom22k()), dataset);
  }

  @Test
  void in21kPRecipeDropsSmallClassesAndCarvesValByNameOrder() throws IOException {
    IngestOptions base =
        options(IngestFormat.IN22K, synth + "/in22k/fall11_whole.tar", out("in21kp"), false);
    int moreThan = 4;
    int val = 2;
    IngestOptions recipe =
        base.toBuilder().in21kP(new IngestOptions.In21kPRecipe(moreThan, val)).build();
    IngestSummary s = IngestJob.run(spark, recipe);
    assertEquals(s.inputs(), s.written() + s.quarantined());
    assertEquals(countOf("in22k") + 1, s.inputs(), "every input still accounted for");
    assertTrue(s.byReason().getOrDefault("excluded_small_class", 0L) > 0, s.byReason().toString());
    List<String> classes = lines(layout(out("in21kp")).classes().toString());
    int kept = classes.size() - 1;
    assertTrue(kept > 0 && kept < SPEC.classes22k(), "kept " + kept);
    assertEquals((long) kept * val, s.bySplit().get("val"));
    Dataset<Row> data = spark.read().parquet(layout(out("in21kp")).data().toString());
    // Val holds the first files of each class in name order.
    for (Row r : data.filter("split = 'val'").select("key", "wnid").collectAsList()) {
      String entry = r.getString(0).substring(r.getString(1).length() + 1);
      long before =
          data.filter(
                  org.apache
                      .spark
                      .sql
                      .functions
                      .col("wnid")
                      .equalTo(r.getString(1))
                      .and(org.apache.spark.sql.functions.col("key").lt(r.getString(0))))
              .count();
      assertTrue(
          before < val || entry.startsWith("../"),
          r.getString(0) + " has " + before + " before it");
    }
  }

  /**
   * The reported loss: val images, both label files and a user's notes in one folder, ingested with
   * --out that folder. It is refused before any work and every file is still there.
   */
  @Test
  void anOutputHoldingTheSourceOrForeignFilesIsRefusedAndKeepsEverything() throws IOException {
    java.nio.file.Path x = dir.resolve("user-folder");
    copyTree(java.nio.file.Path.of(synth.toUri()).resolve("in1k"), x);
    Files.writeString(x.resolve("my-notes.txt"), "mine");
    List<String> before = listing(x);
    String source = x.resolve("val").toUri().toString();

    IllegalArgumentException overlap =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                IngestJob.run(
                    spark, options(IngestFormat.IN1K_VAL, source, x.toUri().toString(), true)));
    assertTrue(overlap.getMessage().contains("overlap"), overlap.getMessage());
    assertEquals(before, listing(x));

    // Not overlapping, but not empty and not a pnet dataset.
    java.nio.file.Path other = dir.resolve("notes-only");
    Files.createDirectories(other);
    Files.writeString(other.resolve("my-notes.txt"), "mine");
    IllegalArgumentException foreign =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                IngestJob.run(
                    spark, options(IngestFormat.IN1K_VAL, source, other.toUri().toString(), true)));
    assertTrue(foreign.getMessage().contains("my-notes.txt"), foreign.getMessage());
    assertEquals("mine", Files.readString(other.resolve("my-notes.txt")));

    // Inside the source, reached through a symbolic link and "..".
    java.nio.file.Path link = dir.resolve("link-to-user-folder");
    Files.createSymbolicLink(link, x);
    String inside = link.toUri() + "val/../val/shards";
    assertThrows(
        IllegalArgumentException.class,
        () -> IngestJob.run(spark, options(IngestFormat.IN1K_VAL, source, inside, false)));
    assertEquals(before, listing(x));
  }

  /**
   * Two ingests into one output: while another process holds the output (its staging there), a
   * second ingest is refused and deletes nothing; once that process is killed, the next ingest
   * takes over, removes the dead one's staging and completes.
   */
  @Test
  void aSecondIngestIntoALockedOutputIsRefusedUntilTheHolderDies() throws Exception {
    java.nio.file.Path outDir = dir.resolve("locked-out");
    // the first run's staging, named as pnet names it
    String first = DatasetLayout.newVersion(new Path(outDir.toUri())).version().orElseThrow();
    java.nio.file.Path theirs = outDir.resolve(first + "/data");
    Files.createDirectories(theirs);
    String out = outDir.toUri().toString();
    String tar = synth + "/in1k/ILSVRC2012_img_train.tar";
    Process holder =
        OutputLockTest.holdInAnotherProcess(new Path(outDir.resolve(".pnet-ingest.lock").toUri()));
    try {
      IllegalStateException refused =
          assertThrows(
              IllegalStateException.class,
              () -> IngestJob.run(spark, options(IngestFormat.IN1K_TRAIN, tar, out, false)));
      assertTrue(refused.getMessage().contains("in use"), refused.getMessage());
      assertTrue(Files.isDirectory(theirs), "the other run's staging is untouched");
    } finally {
      holder.destroyForcibly().waitFor();
    }
    IngestSummary after = IngestJob.run(spark, options(IngestFormat.IN1K_TRAIN, tar, out, false));
    assertFalse(after.reused());
    assertFalse(Files.exists(outDir.resolve(first)));
    assertFalse(Files.exists(outDir.resolve(".pnet-ingest.lock")), "released");
  }

  /**
   * Files a user put at the names publishing writes are refused before any work and kept: a {@code
   * .pnet-publishing} that is not pnet's journal beside a pnet dataset, a stray {@code
   * ._dataset.json.crc} (Hadoop's checksum name for the manifest, which the local file system's
   * listing hides), and a {@code _dataset.json} that is not a manifest.
   */
  @Test
  void filesAtPublishingsNamesAreRefusedBeforeAnyWorkAndKept() throws IOException {
    String val = synth + "/in1k/val";
    String out = out("publishing-names");
    java.nio.file.Path outDir = java.nio.file.Path.of(URI.create(out));
    IngestJob.run(spark, options(IngestFormat.IN1K_VAL, val, out, false));
    String version = layout(out).version().orElseThrow();
    java.nio.file.Path journal = outDir.resolve(DatasetPublisher.JOURNAL);
    Files.writeString(journal, "data\n"); // a user's, in no pnet format
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> IngestJob.run(spark, options(IngestFormat.IN1K_VAL, val, out, true)));
    assertTrue(e.getMessage().contains(DatasetPublisher.JOURNAL), e.getMessage());
    assertEquals("data\n", Files.readString(journal));
    assertEquals(version, layout(out).version().orElseThrow(), "the data set is untouched");

    String fresh = out("stray-checksum");
    java.nio.file.Path freshDir = java.nio.file.Path.of(URI.create(fresh));
    Files.createDirectories(freshDir);
    java.nio.file.Path stray = freshDir.resolve("." + DatasetLayout.MANIFEST + ".crc");
    Files.writeString(stray, "mine");
    e =
        assertThrows(
            IllegalArgumentException.class,
            () -> IngestJob.run(spark, options(IngestFormat.IN1K_VAL, val, fresh, false)));
    assertTrue(e.getMessage().contains(stray.getFileName().toString()), e.getMessage());
    assertEquals("mine", Files.readString(stray));

    String notes = out("foreign-manifest");
    java.nio.file.Path notesDir = java.nio.file.Path.of(URI.create(notes));
    Files.createDirectories(notesDir);
    Files.writeString(notesDir.resolve(DatasetLayout.MANIFEST), "my notes");
    assertThrows(
        IllegalArgumentException.class,
        () -> IngestJob.run(spark, options(IngestFormat.IN1K_VAL, val, notes, true)));
    assertEquals("my notes", Files.readString(notesDir.resolve(DatasetLayout.MANIFEST)));
    try (var children = Files.list(notesDir)) {
      assertEquals(
          List.of(DatasetLayout.MANIFEST),
          children.map(c -> c.getFileName().toString()).toList(),
          "nothing was staged");
    }
  }

  /** Replacing a pnet dataset removes only the dataset's own entries. */
  @Test
  void overwriteReplacesTheDatasetAndLeavesAUsersFileInIt() throws IOException {
    String out = out("overwrite-keeps-foreign");
    String tar = synth + "/in1k/ILSVRC2012_img_train.tar";
    IngestSummary first = IngestJob.run(spark, options(IngestFormat.IN1K_TRAIN, tar, out, false));
    java.nio.file.Path notes = java.nio.file.Path.of(URI.create(out)).resolve("README-mine.txt");
    Files.writeString(notes, "mine");
    IngestSummary replaced = IngestJob.run(spark, options(IngestFormat.IN1K_TRAIN, tar, out, true));
    assertFalse(replaced.reused());
    assertEquals(first.written(), spark.read().parquet(layout(out).data().toString()).count());
    assertEquals("mine", Files.readString(notes));
  }

  private static void copyTree(java.nio.file.Path from, java.nio.file.Path to) throws IOException {
    try (var paths = Files.walk(from)) {
      for (java.nio.file.Path p : (Iterable<java.nio.file.Path>) paths::iterator) {
        java.nio.file.Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  private static List<String> listing(java.nio.file.Path root) throws IOException {
    try (var paths = Files.walk(root)) {
      return paths.map(p -> root.relativize(p) + ":" + p.toFile().length()).sorted().toList();
    }
  }

  @Test
  void rerunsNeverDuplicateAndCleanUpAfterACrash() throws IOException {
    String out = out("rerun");
    IngestOptions once =
        options(IngestFormat.IN1K_TRAIN, synth + "/in1k/ILSVRC2012_img_train.tar", out, false);
    IngestSummary first = IngestJob.run(spark, once);
    IngestSummary again = IngestJob.run(spark, once);
    assertTrue(again.reused());
    // the account is read back whole from _ingest/summary.json
    assertEquals(first.bySplit(), again.bySplit());
    assertEquals(first.byReason(), again.byReason());
    assertEquals(first.inputs(), again.inputs());
    assertEquals(first.written(), spark.read().parquet(layout(out).data().toString()).count());

    // A crashed run leaves a version directory behind; the next run (replacing) removes it.
    String crashed = DatasetLayout.newVersion(new Path(out)).version().orElseThrow();
    fs.mkdirs(new Path(out + "/" + crashed + "/data"));
    IngestSummary replaced =
        IngestJob.run(
            spark,
            options(IngestFormat.IN1K_TRAIN, synth + "/in1k/ILSVRC2012_img_train.tar", out, true));
    assertFalse(replaced.reused());
    assertFalse(fs.exists(new Path(out + "/" + crashed)));
    assertEquals(first.written(), spark.read().parquet(layout(out).data().toString()).count());
    assertEquals(
        first.written(),
        spark.read().parquet(layout(out).data().toString()).select("key").distinct().count());
  }

  /**
   * Shards are sized from what the decode stage produced and mix classes in seeded random order,
   * although every work unit holds one class: ~6 MB of images at a 1 MiB target.
   */
  @Test
  void shardsMixClassesAndStayNearTheTargetSize() throws IOException {
    List<byte[]> jpegs = IngestBenchmark.sampleJpegs(20, 300, 225, 90, 5);
    java.nio.file.Path source = dir.resolve("mixing");
    long inputBytes = 0;
    for (int i = 0; i < 160; i++) {
      java.nio.file.Path file =
          source.resolve(String.format(Locale.ROOT, "n%08d/img_%03d.JPEG", i / 16, i));
      Files.createDirectories(file.getParent());
      Files.write(file, jpegs.get(i % jpegs.size()));
      inputBytes += jpegs.get(i % jpegs.size()).length;
    }
    IngestOptions options =
        IngestOptions.builder(IngestFormat.FOLDERS, source.toUri().toString(), out("mixing-shards"))
            .image(new ImageOptions(0, 90, 0, 90_000_000L))
            .shardBytes(1 << 20)
            .splitBytes(1 << 20)
            .filesPerTask(16)
            .seed(11)
            .build();
    IngestSummary summary = IngestJob.run(spark, options);
    assertEquals(160, summary.written());

    List<Path> shards = new ArrayList<>();
    List<Long> sizes = new ArrayList<>();
    var files = fs.listFiles(new Path(layout(out("mixing-shards")).data().toString()), true);
    while (files.hasNext()) {
      var file = files.next();
      if (file.getPath().getName().endsWith(".parquet")) {
        shards.add(file.getPath());
        sizes.add(file.getLen());
      }
    }
    long outputBytes = sizes.stream().mapToLong(Long::longValue).sum();
    long target = 1 << 20;
    String shape = sizes + " bytes from " + inputBytes + " input bytes";
    assertEquals(shards.size(), summary.shards());
    // Coalesced up to the target; a remainder under a quarter of it joins a neighbour
    assertTrue(sizes.stream().allMatch(size -> size < target * 3 / 2), shape);
    assertTrue(shards.size() >= outputBytes / (target * 3 / 2), shape);
    assertTrue(shards.size() <= 2 * ((outputBytes + target - 1) / target), shape);
    for (Path shard : shards) {
      List<String> wnids =
          spark
              .read()
              .parquet(shard.toString())
              .select("wnid")
              .as(Encoders.STRING())
              .collectAsList();
      int sameAsPrevious = 0;
      for (int i = 1; i < wnids.size(); i++) {
        sameAsPrevious += wnids.get(i).equals(wnids.get(i - 1)) ? 1 : 0;
      }
      // Random order over 10 classes repeats the previous class about 1 time in 10
      assertTrue(
          sameAsPrevious < wnids.size() / 3,
          shard + " keeps classes together: " + sameAsPrevious + " of " + wnids.size());
      assertTrue(new HashSet<>(wnids).size() >= 5, shard + ": " + wnids);
    }
  }

  /** A words.txt that merely sits beside the source is skipped; a named one must exist. */
  @Test
  void classNamesBesideTheSourceAreOptionalNamedOnesRequired() throws IOException {
    java.nio.file.Path root = dir.resolve("stray");
    List<byte[]> jpegs = IngestBenchmark.sampleJpegs(4, 80, 60, 90, 9);
    for (int i = 0; i < jpegs.size(); i++) {
      java.nio.file.Path file =
          root.resolve(String.format(Locale.ROOT, "src/n%08d/img_%d.JPEG", i % 2, i));
      Files.createDirectories(file.getParent());
      Files.write(file, jpegs.get(i));
    }
    Files.writeString(root.resolve("words.txt"), "shopping list\nmilk\n");
    String source = root.resolve("src").toUri().toString();
    IngestSummary s =
        IngestJob.run(spark, options(IngestFormat.FOLDERS, source, out("stray-shards"), false));
    assertEquals(4, s.written());
    // The guard against a re-executed task that read different data: the account must match
    Path data = new Path(layout(out("stray-shards")).data().toString());
    IngestJob.verifyWritten(spark, data, Map.of("train", 4L));
    assertThrows(
        IllegalStateException.class,
        () -> IngestJob.verifyWritten(spark, data, Map.of("train", 5L)));
    assertEquals(
        List.of("index\twnid\tname", "0\tn00000000\t", "1\tn00000001\t"),
        lines(layout(out("stray-shards")).classes().toString()));

    IngestOptions named =
        options(IngestFormat.FOLDERS, source, out("stray-named-shards"), false).toBuilder()
            .classNames(root.resolve("no-such-words.txt").toUri().toString())
            .build();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IngestJob.run(spark, named));
    assertTrue(e.getMessage().contains("ingest.class-names"), e.getMessage());
  }

  private static long countOf(String layout) throws IOException {
    String json = String.join("\n", lines(synth + "/synth.json"));
    var m = Pattern.compile("\"" + layout + "\": (\\d+)").matcher(json);
    assertTrue(m.find(), layout + " missing from synth.json");
    return Long.parseLong(m.group(1));
  }

  private static List<String> lines(String path) throws IOException {
    try (var in = fs.open(new Path(path))) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }

  /**
   * Publishing crashed at each of its steps while an in1k-train ingest replaces an in1k-val one,
   * written in the current layout or in the one before versions: at every step reached, a reader
   * gets one whole data set, the old or the new (its manifest's format and its rows agree), and a
   * rerun ends with exactly the new data set, a user's file kept, and nothing of pnet's left over.
   */
  @ParameterizedTest
  @CsvSource({
    "journal written, versioned",
    "manifest replaced, versioned",
    "old version deleted, versioned",
    "journal deleted, versioned",
    "journal written, unversioned",
    "manifest replaced, unversioned",
    "old data deleted, unversioned",
    "old _ingest deleted, unversioned",
    "old classes.tsv deleted, unversioned",
    "journal deleted, unversioned"
  })
  void aPublishCrashedAtAnyStepEndsAfterARerunWithOneCompleteDataset(String crashAt, String old)
      throws IOException {
    String out = out("crash-" + old + "-" + crashAt.replace(' ', '-').replace(".", ""));
    java.nio.file.Path outDir = java.nio.file.Path.of(URI.create(out));
    long oldRows =
        IngestJob.run(spark, options(IngestFormat.IN1K_VAL, synth + "/in1k/val", out, false))
            .written();
    if (old.equals("unversioned")) {
      unversion(outDir);
    }
    Files.writeString(outDir.resolve("notes.txt"), "mine");
    IngestOptions replacement =
        options(IngestFormat.IN1K_TRAIN, synth + "/in1k/ILSVRC2012_img_train.tar", out, true);
    List<String> seen = new ArrayList<>();
    IOException crash =
        assertThrows(
            IOException.class,
            () ->
                IngestJob.run(
                    spark,
                    replacement,
                    step -> {
                      seen.add(step + ": " + readableAs(out, oldRows));
                      if (step.equals(crashAt.replace("old version", "old " + versionOf(seen)))) {
                        throw new IOException("crashed at " + step);
                      }
                    }));
    assertTrue(crash.getMessage().startsWith("crashed at "), crash.getMessage());
    for (String s : seen) {
      assertFalse(s.endsWith(": neither"), "a reader got no whole data set at " + seen);
    }
    assertTrue(seen.get(seen.size() - 1).contains("in1k"), seen.toString());

    IngestSummary rerun = IngestJob.run(spark, replacement);
    assertFalse(rerun.reused());
    String marker = Files.readString(outDir.resolve(DatasetLayout.MANIFEST));
    assertTrue(marker.contains("\"in1k-train\""), marker);
    assertEquals(rerun.written(), rowsIn(out));
    assertEquals("mine", Files.readString(outDir.resolve("notes.txt")));
    try (var children = Files.list(outDir)) {
      List<String> names =
          children.map(c -> c.getFileName().toString()).filter(n -> !n.endsWith(".crc")).toList();
      String version = layout(out).version().orElseThrow();
      assertEquals(
          Set.of(DatasetLayout.MANIFEST, "notes.txt", version),
          Set.copyOf(names),
          "pnet's leftovers remain");
    }
  }

  /** The version directory the data set read at the first step had, for the step's name. */
  private static String versionOf(List<String> seen) {
    return seen.isEmpty() ? "" : seen.get(0).replaceAll(".*\\[(v-[0-9a-f-]+)\\].*", "$1");
  }

  /**
   * What a reader gets at {@code out} now: the format its manifest names, its version, and whether
   * the rows agree with it ({@code oldRows} for the old in1k-val set), or "neither".
   */
  private static String readableAs(String out, long oldRows) {
    try {
      DatasetLayout layout = layout(out);
      String manifest = lines(layout.manifest().toString()).toString();
      long rows = spark.read().parquet(layout.data().toString()).count();
      boolean isOld = manifest.contains("\"in1k-val\"");
      if (isOld ? rows != oldRows : !manifest.contains("\"in1k-train\"") || rows == oldRows) {
        return "neither";
      }
      return (isOld ? "old in1k-val" : "new in1k-train")
          + " ["
          + layout.version().orElse("unversioned")
          + "]";
    } catch (IOException | RuntimeException e) {
      return "neither";
    }
  }

  /** Rewrites the data set at {@code outDir} as pnet wrote data sets before versions. */
  private static void unversion(java.nio.file.Path outDir) throws IOException {
    DatasetLayout layout = layout(outDir.toUri().toString());
    java.nio.file.Path content = java.nio.file.Path.of(layout.content().toUri());
    try (var entries = Files.list(content)) {
      for (java.nio.file.Path e : entries.toList()) {
        Files.move(e, outDir.resolve(e.getFileName()));
      }
    }
    // the version folder this test's ingest wrote, emptied above; Files.delete refuses a non-empty
    // folder, so nothing else can go with it
    Files.delete(content);
    java.nio.file.Path manifest = outDir.resolve(DatasetLayout.MANIFEST);
    String json = Files.readString(manifest);
    Files.writeString(manifest, json.replaceFirst("\"version\" : \"v-[0-9a-f-]+\",\\s*", ""));
    // Hadoop's checksum of the manifest this test's ingest wrote, stale after the rewrite above
    Files.deleteIfExists(outDir.resolve("." + DatasetLayout.MANIFEST + ".crc"));
    assertTrue(layout(outDir.toUri().toString()).version().isEmpty(), json);
  }

  private static long rowsIn(String dataset) throws IOException {
    return spark.read().parquet(layout(dataset).data().toString()).count();
  }

  /**
   * Crafted synset tars: a member larger than any image within the pixel limit is rejected unread
   * (streamed past, not held), a member name repeated inside a synset tar and a synset tar repeated
   * in the outer tar are duplicate keys with the first kept, and the members after them still
   * count.
   */
  @Test
  void oversizedMembersAndRepeatedKeysAreQuarantinedAndTheRestIngested() throws IOException {
    byte[] jpeg = firstTrainImage();
    byte[] huge = new byte[17 << 20]; // above 16 MB + 8 bytes x 100 x 100 pixels
    byte[] first =
        tarOf(
            new String[] {
              "n01440764_1.JPEG", "n01440764_1.JPEG", "n01440764_2.JPEG", "n01440764_3.JPEG"
            },
            new byte[][] {jpeg, jpeg, huge, jpeg});
    byte[] second = tarOf(new String[] {"n01443537_1.JPEG"}, new byte[][] {jpeg});
    java.nio.file.Path source = dir.resolve("crafted-train/ILSVRC2012_img_train.tar");
    Files.createDirectories(source.getParent());
    Files.write(
        source,
        tarOf(
            new String[] {"n01440764.tar", "n01440764.tar", "n01443537.tar"},
            new byte[][] {first, second, second}));
    IngestOptions base =
        options(IngestFormat.IN1K_TRAIN, source.toUri().toString(), out("crafted"), false);
    IngestOptions small = base.toBuilder().image(new ImageOptions(48, 90, 0, 100 * 100)).build();
    IngestSummary summary = IngestJob.run(spark, small);
    assertEquals(Map.of("duplicate_key", 2L, "too_large", 1L), summary.byReason());
    assertEquals(3, summary.written(), "n01440764_1, n01440764_3 and n01443537_1");
    assertEquals(summary.inputs(), summary.written() + summary.quarantined());
  }

  /**
   * Limits whose worst case (one input at 8 bytes a pixel plus its decoded pixels, per task) does
   * not fit the heap each task gets are refused before anything is read or created, naming a
   * --max-pixels that fits, instead of an executor dying mid-job on a huge input.
   */
  @Test
  void limitsBeyondTheHeapPerTaskAreRefusedBeforeAnyWork() {
    String out = out("too-much-per-task");
    IngestOptions options =
        options(IngestFormat.IN1K_VAL, synth + "/in1k/val", out, false).toBuilder()
            .image(new ImageOptions(48, 90, 0, 2_000_000_000L))
            .build();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IngestJob.run(spark, options));
    assertTrue(e.getMessage().contains("Lower --max-pixels to"), e.getMessage());
    assertFalse(new File(URI.create(out)).exists(), "nothing created");
  }

  private static byte[] firstTrainImage() throws IOException {
    Path train = new Path(synth + "/in1k/ILSVRC2012_img_train.tar");
    try (var outer = new TarArchiveInputStream(fs.open(train))) {
      outer.getNextTarEntry();
      var inner = new TarArchiveInputStream(outer);
      inner.getNextTarEntry();
      return inner.readAllBytes();
    }
  }

  private static byte[] tarOf(String[] names, byte[][] contents) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (var tar = new TarArchiveOutputStream(bytes)) {
      for (int i = 0; i < names.length; i++) {
        var entry = new TarArchiveEntry(names[i]);
        entry.setSize(contents[i].length);
        tar.putArchiveEntry(entry);
        tar.write(contents[i]);
        tar.closeArchiveEntry();
      }
    }
    return bytes.toByteArray();
  }

  /**
   * Class folders: a hidden folder (a notebook's checkpoints) is no class and no input, a folder
   * not named by a wnid is no class (its files quarantined), and N01440764 is n01440764.
   */
  @Test
  void onlyWnidFoldersAreClassesAndCaseDoesNotSplitOne() throws IOException {
    byte[] jpeg = firstTrainImage();
    java.nio.file.Path root = dir.resolve("crafted-folders");
    String[][] files = {
      {"n01440764", "a.JPEG"},
      {"N01440764", "b.JPEG"},
      {"n01443537", "c.JPEG"},
      {".ipynb_checkpoints", "a-checkpoint.JPEG"},
      {"cats", "d.JPEG"}
    };
    for (String[] f : files) {
      Files.createDirectories(root.resolve(f[0]));
      Files.write(root.resolve(f[0]).resolve(f[1]), jpeg);
    }
    IngestSummary summary =
        IngestJob.run(
            spark,
            options(
                IngestFormat.FOLDERS, root.toUri().toString(), out("crafted-folders-out"), false));
    assertEquals(2, summary.classes(), "n01440764 (both cases) and n01443537");
    assertEquals(3, summary.written());
    assertEquals(Map.of("non_synset_member", 1L), summary.byReason());
  }

  /** A wrong --map-to (missing, or a malformed classes.tsv) fails before the decode pass. */
  @Test
  void aBadMapToIsRefusedBeforeAnyImageIsDecoded() throws IOException {
    String tar = synth + "/in1k/ILSVRC2012_img_train.tar";
    String out = out("bad-map-to");
    IngestOptions missing =
        options(IngestFormat.IN1K_TRAIN, tar, out, false).toBuilder()
            .mapTo(dir.resolve("no-such-dataset").toUri().toString())
            .build();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> IngestJob.run(spark, missing));
    assertTrue(e.getMessage().contains("neither an ingested data set"), e.getMessage());
    assertNothingStaged(out);

    java.nio.file.Path bad = dir.resolve("bad-classes.tsv");
    Files.writeString(bad, "label\twnid\n0\tn01440764\nn01443537 1\n");
    IngestOptions malformed =
        options(IngestFormat.IN1K_TRAIN, tar, out, false).toBuilder().mapTo(bad.toString()).build();
    e = assertThrows(IllegalArgumentException.class, () -> IngestJob.run(spark, malformed));
    assertTrue(e.getMessage().contains("line 3"), e.getMessage());
    assertNothingStaged(out);
  }

  private static void assertNothingStaged(String out) throws IOException {
    java.nio.file.Path outDir = java.nio.file.Path.of(URI.create(out));
    if (Files.isDirectory(outDir)) {
      try (var children = Files.list(outDir)) {
        List<String> names = children.map(c -> c.getFileName().toString()).toList();
        assertTrue(names.stream().noneMatch(DatasetLayout::isVersionName), names.toString());
      }
    }
  }

  /**
   * Crafted member types: links and devices inside a synset tar and in the outer tar are
   * quarantined unread (a header's size is not image data), a directory entry is no input, and an
   * image with a 150-character PAX name is ingested under its name.
   */
  @Test
  void linksAndDevicesAreQuarantinedAndLongNamesIngested() throws IOException {
    byte[] jpeg = firstTrainImage();
    String longName = "n01440764_" + "x".repeat(140) + ".JPEG";
    ByteArrayOutputStream inner = new ByteArrayOutputStream();
    try (var tar = new TarArchiveOutputStream(inner)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      putFile(tar, "n01440764_1.JPEG", jpeg);
      putFile(tar, longName, jpeg);
      putSpecial(tar, "n01440764_2.JPEG", TarConstants.LF_SYMLINK);
      putSpecial(tar, "n01440764_3.JPEG", TarConstants.LF_LINK);
      putSpecial(tar, "n01440764_4.JPEG", TarConstants.LF_CHR);
      var directory = new TarArchiveEntry("sub/");
      tar.putArchiveEntry(directory);
      tar.closeArchiveEntry();
    }
    ByteArrayOutputStream outer = new ByteArrayOutputStream();
    try (var tar = new TarArchiveOutputStream(outer)) {
      putFile(tar, "n01440764.tar", inner.toByteArray());
      putSpecial(tar, "n01443537.tar", TarConstants.LF_SYMLINK);
    }
    java.nio.file.Path source = dir.resolve("crafted-types-source/ILSVRC2012_img_train.tar");
    Files.createDirectories(source.getParent());
    Files.write(source, outer.toByteArray());
    IngestSummary summary =
        IngestJob.run(
            spark,
            options(
                IngestFormat.IN1K_TRAIN, source.toUri().toString(), out("crafted-types"), false));
    assertEquals(Map.of("not_a_regular_file", 4L), summary.byReason());
    assertEquals(2, summary.written());
    List<String> names =
        spark
            .read()
            .parquet(layout(out("crafted-types")).data().toString())
            .select("image.path")
            .as(Encoders.STRING())
            .collectAsList();
    assertTrue(names.contains(longName), names.toString());
  }

  private static void putFile(TarArchiveOutputStream tar, String name, byte[] data)
      throws IOException {
    var entry = new TarArchiveEntry(name);
    entry.setSize(data.length);
    tar.putArchiveEntry(entry);
    tar.write(data);
    tar.closeArchiveEntry();
  }

  private static void putSpecial(TarArchiveOutputStream tar, String name, byte type)
      throws IOException {
    var entry = new TarArchiveEntry(name, type);
    if (type == TarConstants.LF_SYMLINK || type == TarConstants.LF_LINK) {
      entry.setLinkName("n01440764_1.JPEG");
    }
    tar.putArchiveEntry(entry);
    tar.closeArchiveEntry();
  }

  /** A val tar holding one name twice: the second is a duplicate key, the first is kept. */
  @Test
  void aNameRepeatedInTheValTarIsADuplicateKey() throws IOException {
    String tar = synth + "/in1k/ILSVRC2012_img_val.tar";
    List<TarMember> members = TarIndex.of(fs, new Path(tar)).members();
    String[] names = new String[3];
    byte[][] contents = new byte[3][];
    for (int i = 0; i < 3; i++) {
      var m = members.get(i == 2 ? 0 : i);
      names[i] = m.name();
      contents[i] = new byte[(int) m.size()];
      try (var in = fs.open(new Path(tar))) {
        in.readFully(m.dataOffset(), contents[i]);
      }
    }
    // beside the synthetic val tar, so the same label files are found next to it
    java.nio.file.Path crafted =
        java.nio.file.Path.of(URI.create(synth + "/in1k/repeated-val.tar"));
    Files.write(crafted, tarOf(names, contents));
    IngestSummary summary =
        IngestJob.run(
            spark,
            options(IngestFormat.IN1K_VAL, crafted.toUri().toString(), out("val-repeated"), false));
    assertEquals(Map.of("duplicate_key", 1L), summary.byReason());
    assertEquals(2, summary.written());
    Files.delete(crafted);
  }
}
