package org.parameternet.data.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parameternet.data.image.ImageOptions;
import org.parameternet.data.image.ImageProcessor;
import org.parameternet.data.image.ProcessedImage;
import org.parameternet.data.tar.TarIndex;
import org.parameternet.data.tar.TarMember;

class SynthWriterTest {
  @TempDir static java.nio.file.Path dir;
  static FileSystem fs;
  static Path root;
  static final SynthSpec SPEC =
      SynthSpec.builder()
          .classes22k(12)
          .classes1k(5)
          .perClass22k(3, 6)
          .perClass1k(4, 3)
          .size(64)
          .seed(7)
          .badInputs(true)
          .build();

  @BeforeAll
  static void write() throws IOException {
    fs = FileSystem.getLocal(new Configuration());
    root = new Path(dir.toUri());
    SynthWriter.write(fs, root, SPEC);
  }

  private static byte[] read(Path archive, TarMember member) throws IOException {
    byte[] bytes = new byte[(int) member.size()];
    try (FSDataInputStream in = fs.open(archive)) {
      in.readFully(member.dataOffset(), bytes);
    }
    return bytes;
  }

  private static TarIndex innerIndex(Path archive, TarMember member) throws IOException {
    java.nio.file.Path inner = Files.createTempFile(dir, "inner", ".tar");
    Files.write(inner, read(archive, member));
    return TarIndex.of(fs, new Path(inner.toUri()));
  }

  @Test
  void in22kIsATarOfSynsetTarsWithOneBadInputOfEachKind() throws IOException {
    Path archive = new Path(root, "in22k/fall11_whole.tar");
    TarIndex outer = TarIndex.of(fs, archive);
    assertEquals(13, outer.members().size());
    assertEquals(SynthSpec.wnid(0) + ".tar", outer.members().get(0).name());
    assertEquals("README.txt", outer.members().get(12).name());

    ImageProcessor processor = new ImageProcessor(ImageOptions.DEFAULTS);
    Map<String, Integer> outcomes = new HashMap<>();
    for (TarMember m : innerIndex(archive, outer.members().get(0)).members()) {
      ProcessedImage p = processor.process(read(tempCopy(archive, outer.members().get(0)), m));
      String key = p instanceof ProcessedImage.Rejected r ? r.reason().reason() : "ok";
      outcomes.merge(key, 1, Integer::sum);
    }
    assertEquals(1, outcomes.get("not_an_image"));
    assertEquals(1, outcomes.get("corrupt"));
    assertEquals(1, outcomes.get("too_many_pixels"));
    assertTrue(outcomes.get("ok") >= SPEC.minPerClass() + 2, outcomes.toString());

    TarIndex cut = innerIndex(archive, outer.members().get(1));
    assertTrue(cut.truncated(), "synset tar 1 should be cut off");
    assertTrue(cut.members().size() >= SPEC.minPerClass() - 1);
  }

  private static Path tempCopy(Path archive, TarMember member) throws IOException {
    java.nio.file.Path inner = Files.createTempFile(dir, "copy", ".tar");
    Files.write(inner, read(archive, member));
    return new Path(inner.toUri());
  }

  @Test
  void in1kTrainHoldsTheSubsetAndTheClassMissingFrom22k() throws IOException {
    Path archive = new Path(root, "in1k/ILSVRC2012_img_train.tar");
    List<TarMember> members = TarIndex.of(fs, archive).members();
    assertEquals(
        List.of(
            SynthSpec.wnid(0) + ".tar",
            SynthSpec.wnid(1) + ".tar",
            SynthSpec.wnid(2) + ".tar",
            SynthSpec.wnid(3) + ".tar",
            SPEC.missingFrom22k() + ".tar"),
        members.stream().map(TarMember::name).toList());
    for (TarMember m : members) {
      assertEquals(SPEC.trainPerClass(), innerIndex(archive, m).members().size());
    }
  }

  @Test
  void valHasGroundTruthInDevkitIdOrderNotSortedOrder() throws IOException {
    Path base = new Path(root, "in1k");
    assertEquals(15, fs.listStatus(new Path(base, "val")).length);
    List<String> truth = lines(new Path(base, "ILSVRC2012_validation_ground_truth.txt"));
    assertEquals(15, truth.size());
    List<String> synsets = lines(new Path(base, "synsets.tsv"));
    assertEquals("ILSVRC2012_ID\twnid\twords", synsets.get(0));
    List<String> idsInSortedWnidOrder =
        synsets.subList(1, synsets.size()).stream().map(l -> l.split("\t")[0]).toList();
    assertNotEquals(List.of("1", "2", "3", "4", "5"), idsInSortedWnidOrder);
    List<String> loc = lines(new Path(base, "LOC_val_solution.csv"));
    assertEquals("ImageId,PredictionString", loc.get(0));
    // Both label files agree on every image.
    for (int n = 0; n < 15; n++) {
      String wnid = loc.get(n + 1).split(",")[1].split(" ")[0];
      String id = truth.get(n);
      String mapped =
          synsets.stream()
              .filter(l -> l.startsWith(id + "\t"))
              .findFirst()
              .orElseThrow()
              .split("\t")[1];
      assertEquals(mapped, wnid, "image " + (n + 1));
    }
  }

  @Test
  void classesLookDifferent() {
    Set<SyntheticClasses.Look> looks = new HashSet<>();
    for (int c = 0; c < 500; c++) {
      looks.add(SyntheticClasses.look(c));
    }
    assertEquals(500, looks.size());
  }

  private static List<String> lines(Path path) throws IOException {
    try (FSDataInputStream in = fs.open(path)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }
}
