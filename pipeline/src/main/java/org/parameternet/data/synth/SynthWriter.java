package org.parameternet.data.synth;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.parameternet.data.OutputFolder;
import org.parameternet.data.labels.DevkitMeta;
import org.parameternet.data.labels.ImageNetFiles;

/**
 * Writes synthetic data sets in ImageNet's distribution layouts, so ingest can be tested and
 * demonstrated without the real archives:
 *
 * <ul>
 *   <li>{@code in22k/fall11_whole.tar}: a tar of per-synset tars {@code <wnid>.tar} of {@code
 *       <wnid>_<n>.JPEG}, and {@code in22k/words.txt} (wnid, class name: ImageNet's layout);
 *   <li>{@code in1k/ILSVRC2012_img_train.tar}: the same layout for the 1K-like classes;
 *   <li>{@code in1k/val/ILSVRC2012_val_<8 digits>.JPEG}, flat, the same images as the flat tar
 *       {@code in1k/ILSVRC2012_img_val.tar}, with {@code ILSVRC2012_validation_ground_truth.txt}
 *       (one ILSVRC2012_ID per line, IDs in a shuffled order unlike the sorted wnids, as in the
 *       devkit), {@code synsets.tsv} (ILSVRC2012_ID, wnid, words: what the devkit's meta.mat
 *       holds), {@code LOC_val_solution.csv} and {@code LOC_synset_mapping.txt} (the Kaggle
 *       re-packaging);
 *   <li>{@code folders/<wnid>/*.JPEG}: class folders;
 *   <li>{@code synth.json}: what was written, including the bad inputs and their expected reason.
 * </ul>
 */
public final class SynthWriter {
  private final FileSystem fs;
  private final SynthLayout layout;
  private final SynthSpec spec;
  private final Random random;
  private final Map<String, Integer> expectedBad = new LinkedHashMap<>();
  private final Map<String, Integer> imagesWritten = new LinkedHashMap<>();

  private SynthWriter(FileSystem fs, Path out, SynthSpec spec) {
    this.fs = fs;
    this.layout = new SynthLayout(out);
    this.spec = spec;
    this.random = new Random(spec.seed());
  }

  /**
   * Writes every layout under {@code out}, which must be absent, empty or an earlier synth output:
   * the synthetic files carry ImageNet's real names, so a folder holding anything else (a real
   * {@code ILSVRC2012_img_train.tar}, say) is refused before a byte is written.
   */
  public static void write(FileSystem fs, Path out, SynthSpec spec) throws IOException {
    SynthLayout layout = new SynthLayout(out);
    OutputFolder.claim(
        fs,
        out,
        layout.marker().getName(),
        "synth.out",
        "an earlier pnet synth output (synth writes files with ImageNet's names and would replace"
            + " real ones)",
        (f, p) -> isOwnManifest(f, layout.manifest()));
    new SynthWriter(fs, out, spec).writeAll();
  }

  /** A synth.json written by an earlier pnet (before the marker existed). */
  private static boolean isOwnManifest(FileSystem fs, Path manifest) throws IOException {
    if (!fs.exists(manifest) || fs.getFileStatus(manifest).getLen() > 1 << 20) {
      return false;
    }
    try (var in = fs.open(manifest)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8)
          .contains("\"expected_quarantine_22k\"");
    }
  }

  private void writeAll() throws IOException {
    List<Integer> classes22k = new ArrayList<>();
    for (int c = 0; c < spec.classes22k(); c++) {
      classes22k.add(c);
    }
    writeIn22k(classes22k);
    List<Integer> classes1k = new ArrayList<>(classes22k.subList(0, spec.classes1k() - 1));
    classes1k.add(spec.classes22k() + 1000);
    writeIn1kTrain(classes1k);
    writeIn1kVal(classes1k);
    writeFolders(classes1k);
    writeManifest(classes1k);
  }

  private void writeIn22k(List<Integer> classes) throws IOException {
    try (PrintWriter words = writer(layout.in22kWords())) {
      for (int c : classes) {
        words.println(SynthSpec.wnid(c) + "\tsynthetic class " + c); // ImageNet's words.txt layout
      }
    }
    try (TarArchiveOutputStream tar = tar(layout.in22kTar())) {
      int images = 0;
      for (int c : classes) {
        int count =
            spec.minPerClass() + random.nextInt(spec.maxPerClass() - spec.minPerClass() + 1);
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          members.add(new Member(SynthSpec.wnid(c) + "_" + (i + 1) + ".JPEG", jpeg(c)));
        }
        images += count;
        if (spec.badInputs() && c == 0) {
          images += addBadImages(c, members);
        }
        byte[] inner = tarBytes(members);
        if (spec.badInputs() && c == 1) {
          // A synset tar cut inside its last member: the members before the cut still count.
          Member last = members.get(members.size() - 1);
          inner = Arrays.copyOf(inner, inner.length - 1024 - last.bytes().length / 2);
          expectBad("unreadable_archive", 1);
        }
        put(tar, SynthSpec.wnid(c) + ".tar", inner);
      }
      if (spec.badInputs()) {
        put(tar, "README.txt", "not a synset".getBytes(StandardCharsets.UTF_8));
        expectBad("non_synset_member", 1);
      }
      imagesWritten.put("in22k", images);
    }
  }

  /** One input of every per-image reason, plus inputs that look odd but are good. */
  private int addBadImages(int c, List<Member> members) throws IOException {
    String w = SynthSpec.wnid(c);
    members.add(new Member(w + "_bad1.JPEG", "this is text".getBytes(StandardCharsets.UTF_8)));
    expectBad("not_an_image", 1);
    byte[] good = jpeg(c);
    members.add(new Member(w + "_bad2.JPEG", Arrays.copyOf(good, good.length / 2)));
    expectBad("corrupt", 1);
    byte[] bomb = encode(SyntheticClasses.draw(c, random, 16, 16), "png");
    ByteBuffer.wrap(bomb, 16, 8).putInt(30_000).putInt(30_000);
    members.add(new Member(w + "_bad3.JPEG", bomb));
    expectBad("too_many_pixels", 1);
    // Good despite appearances: a PNG named .JPEG, and a name that tries to leave the folder.
    members.add(
        new Member(
            w + "_png.JPEG",
            encode(SyntheticClasses.draw(c, random, spec.size(), spec.size() * 3 / 4), "png")));
    members.add(new Member("../../" + w + "_escape.JPEG", jpeg(c)));
    return 5;
  }

  private void writeIn1kTrain(List<Integer> classes) throws IOException {
    try (TarArchiveOutputStream tar = tar(layout.in1kTrainTar())) {
      for (int c : classes) {
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < spec.trainPerClass(); i++) {
          members.add(new Member(SynthSpec.wnid(c) + "_" + (i + 1) + ".JPEG", jpeg(c)));
        }
        put(tar, SynthSpec.wnid(c) + ".tar", tarBytes(members));
      }
      imagesWritten.put("in1k-train", classes.size() * spec.trainPerClass());
    }
  }

  private void writeIn1kVal(List<Integer> classes) throws IOException {
    // ILSVRC2012_IDs: a permutation of 1..K, so the devkit order differs from the sorted order.
    List<Integer> ids = new ArrayList<>();
    for (int i = 1; i <= classes.size(); i++) {
      ids.add(i);
    }
    Collections.shuffle(ids, random);
    Path base = layout.in1k();
    List<DevkitMeta.Synset> devkit = new ArrayList<>();
    for (int k = 0; k < classes.size(); k++) {
      devkit.add(
          new DevkitMeta.Synset(
              ids.get(k), SynthSpec.wnid(classes.get(k)), "synthetic class " + classes.get(k)));
    }
    try (OutputStream meta = fs.create(new Path(base, ImageNetFiles.DEVKIT_META), true)) {
      DevkitMeta.write(meta, devkit);
    }
    try (PrintWriter synsets = writer(new Path(base, ImageNetFiles.SYNSETS_TSV));
        PrintWriter mapping = writer(new Path(base, ImageNetFiles.KAGGLE_SYNSET_MAPPING))) {
      synsets.println("ILSVRC2012_ID\twnid\twords");
      for (int k = 0; k < classes.size(); k++) {
        String wnid = SynthSpec.wnid(classes.get(k));
        synsets.println(ids.get(k) + "\t" + wnid + "\tsynthetic class " + classes.get(k));
        mapping.println(wnid + " synthetic class " + classes.get(k));
      }
    }
    List<Integer> order = new ArrayList<>();
    for (int k = 0; k < classes.size(); k++) {
      for (int i = 0; i < spec.valPerClass(); i++) {
        order.add(k);
      }
    }
    Collections.shuffle(order, random);
    try (PrintWriter truth = writer(new Path(base, ImageNetFiles.DEVKIT_VAL_GROUND_TRUTH));
        PrintWriter loc = writer(new Path(base, ImageNetFiles.KAGGLE_VAL_SOLUTION));
        TarArchiveOutputStream valTar = tar(layout.in1kValTar())) {
      loc.println("ImageId,PredictionString");
      for (int n = 0; n < order.size(); n++) {
        int k = order.get(n);
        String name = String.format(Locale.ROOT, "ILSVRC2012_val_%08d", n + 1);
        byte[] jpeg = jpeg(classes.get(k));
        try (OutputStream image = fs.create(new Path(layout.in1kVal(), name + ".JPEG"), true)) {
          image.write(jpeg);
        }
        put(valTar, name + ".JPEG", jpeg);
        truth.println(ids.get(k));
        loc.println(name + "," + SynthSpec.wnid(classes.get(k)) + " 1 1 10 10");
      }
    }
    imagesWritten.put("in1k-val", order.size());
  }

  private void writeFolders(List<Integer> classes) throws IOException {
    int count = 0;
    for (int c : classes.subList(0, Math.min(5, classes.size()))) {
      for (int i = 0; i < spec.valPerClass(); i++) {
        Path file = new Path(new Path(layout.folders(), SynthSpec.wnid(c)), "img_" + i + ".JPEG");
        try (OutputStream image = fs.create(file, true)) {
          image.write(jpeg(c));
        }
        count++;
      }
    }
    imagesWritten.put("folders", count);
  }

  private void writeManifest(List<Integer> classes1k) throws IOException {
    StringBuilder json = new StringBuilder("{\n");
    json.append("  \"seed\": ").append(spec.seed()).append(",\n");
    json.append("  \"classes_22k\": ").append(spec.classes22k()).append(",\n");
    json.append("  \"classes_1k\": ").append(classes1k.size()).append(",\n");
    json.append("  \"missing_from_22k\": \"").append(spec.missingFrom22k()).append("\",\n");
    json.append("  \"inputs\": {");
    json.append(
        String.join(
            ", ",
            imagesWritten.entrySet().stream()
                .map(e -> "\"" + e.getKey() + "\": " + e.getValue())
                .toList()));
    json.append("},\n  \"expected_quarantine_22k\": {");
    json.append(
        String.join(
            ", ",
            expectedBad.entrySet().stream()
                .map(e -> "\"" + e.getKey() + "\": " + e.getValue())
                .toList()));
    json.append("}\n}\n");
    try (OutputStream o = fs.create(layout.manifest(), true)) {
      o.write(json.toString().getBytes(StandardCharsets.UTF_8));
    }
  }

  private record Member(String name, byte[] bytes) {}

  private void expectBad(String reason, int n) {
    expectedBad.merge(reason, n, Integer::sum);
  }

  private byte[] jpeg(int c) throws IOException {
    return encode(SyntheticClasses.draw(c, random, spec.size(), spec.size() * 3 / 4), "jpg");
  }

  private static byte[] encode(BufferedImage image, String format) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ImageIO.write(image, format, bytes);
    return bytes.toByteArray();
  }

  private TarArchiveOutputStream tar(Path path) throws IOException {
    TarArchiveOutputStream tar = new TarArchiveOutputStream(fs.create(path, true));
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    return tar;
  }

  private static byte[] tarBytes(List<Member> members) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
      tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
      for (Member m : members) {
        put(tar, m.name(), m.bytes());
      }
    }
    return bytes.toByteArray();
  }

  private static void put(TarArchiveOutputStream tar, String name, byte[] bytes)
      throws IOException {
    TarArchiveEntry entry = new TarArchiveEntry(name, true);
    entry.setSize(bytes.length);
    tar.putArchiveEntry(entry);
    tar.write(bytes);
    tar.closeArchiveEntry();
  }

  private PrintWriter writer(Path path) throws IOException {
    return new PrintWriter(new OutputStreamWriter(fs.create(path, true), StandardCharsets.UTF_8));
  }
}
