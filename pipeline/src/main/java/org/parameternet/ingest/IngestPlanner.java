package org.parameternet.ingest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.parameternet.data.image.Rejection;
import org.parameternet.data.labels.DevkitMeta;
import org.parameternet.data.labels.ImageNetFiles;
import org.parameternet.data.tar.TarIndex;
import org.parameternet.data.tar.TarMember;

/** Lists a source on the driver and cuts it into work units. Reads headers and labels only. */
final class IngestPlanner {
  private static final Pattern SYNSET_TAR = Pattern.compile("n\\d{8}\\.tar");
  private static final Pattern WNID = Pattern.compile("[nN]\\d{8}");
  private static final Pattern VAL_IMAGE = Pattern.compile("ILSVRC2012_val_(\\d{8})\\.[A-Za-z]+");

  private IngestPlanner() {}

  static IngestPlan plan(FileSystem fs, IngestOptions options) throws IOException {
    Path source = new Path(options.source());
    if (!fs.exists(source)) {
      throw new IllegalArgumentException("source does not exist: " + source);
    }
    return switch (options.format()) {
      case IN22K, IN1K_TRAIN -> synsetTars(fs, source, options);
      case FOLDERS -> folders(fs, source, options);
      case IN1K_VAL -> validation(fs, source, options);
    };
  }

  private static IngestPlan synsetTars(FileSystem fs, Path source, IngestOptions options)
      throws IOException {
    List<WorkUnit> units = new ArrayList<>();
    List<IngestRecord.Quarantined> planned = new ArrayList<>();
    TreeSet<String> wnids = new TreeSet<>();
    String archive = fs.makeQualified(source).toString();
    if (fs.getFileStatus(source).isDirectory()) {
      for (FileStatus file : fs.listStatus(source)) {
        String name = file.getPath().getName();
        if (file.isFile() && SYNSET_TAR.matcher(name).matches()) {
          String wnid = name.substring(0, 9);
          wnids.add(wnid);
          addSynset(units, file.getPath().toString(), 0, file.getLen(), null, wnid, options);
        } else {
          planned.add(nonSynset(file.getPath().toString(), name));
        }
      }
    } else {
      TarIndex index = TarIndex.of(fs, source);
      for (TarMember member : index.members()) {
        if (SYNSET_TAR.matcher(member.baseName()).matches()) {
          String wnid = member.baseName().substring(0, 9);
          if (!wnids.add(wnid)) {
            // A tar may hold one name twice; a second synset tar would repeat every key.
            planned.add(
                new IngestRecord.Quarantined(
                    archive,
                    member.name(),
                    Rejection.DUPLICATE_KEY.reason(),
                    "a second " + member.baseName() + " in the archive; the first is kept"));
            continue;
          }
          addSynset(
              units, archive, member.dataOffset(), member.size(), member.name(), wnid, options);
        } else {
          planned.add(nonSynset(archive, member.name()));
        }
      }
      index.cutMember().ifPresent(cut -> planned.add(cutOff(archive, cut)));
      index.special().forEach(name -> planned.add(notRegular(archive, name)));
    }
    return new IngestPlan(units, List.copyOf(wnids), planned);
  }

  private static void addSynset(
      List<WorkUnit> units,
      String archive,
      long offset,
      long length,
      String member,
      String wnid,
      IngestOptions options) {
    int parts = (int) Math.max(1, (length + options.splitBytes() - 1) / options.splitBytes());
    for (int part = 0; part < parts; part++) {
      units.add(new WorkUnit.SynsetTar(archive, offset, length, member, wnid, part, parts));
    }
  }

  /** A link, device or FIFO member: not read, whatever its header says. */
  static IngestRecord.Quarantined notRegular(String archive, String name) {
    return new IngestRecord.Quarantined(
        archive + "!" + name,
        name,
        Rejection.NOT_A_REGULAR_FILE.reason(),
        "a link, device or FIFO, not a file with image data");
  }

  private static IngestRecord.Quarantined nonSynset(String source, String name) {
    return new IngestRecord.Quarantined(
        source, name, Rejection.NON_SYNSET_MEMBER.reason(), "not a <wnid>.tar synset archive");
  }

  private static IngestPlan folders(FileSystem fs, Path source, IngestOptions options)
      throws IOException {
    List<WorkUnit.LabelledFile> files = new ArrayList<>();
    List<IngestRecord.Quarantined> planned = new ArrayList<>();
    TreeSet<String> wnids = new TreeSet<>();
    for (FileStatus entry : fs.listStatus(source)) {
      String name = entry.getPath().getName();
      if (name.startsWith(".")) {
        continue; // .ipynb_checkpoints, .Trash, .DS_Store: a tool's, not a class or an image
      }
      if (entry.isDirectory() && !WNID.matcher(name).matches()) {
        for (FileStatus file : fs.listStatus(entry.getPath())) {
          planned.add(
              new IngestRecord.Quarantined(
                  file.getPath().toString(),
                  file.getPath().getName(),
                  Rejection.NON_SYNSET_MEMBER.reason(),
                  "in a folder not named by a wnid (n and 8 digits), so of no class"));
        }
      } else if (entry.isDirectory()) {
        // N01440764 and n01440764 are one wnid, so one class
        String wnid = name.toLowerCase(Locale.ROOT);
        wnids.add(wnid);
        for (FileStatus file : fs.listStatus(entry.getPath())) {
          if (file.isFile() && !file.getPath().getName().startsWith(".")) {
            files.add(
                new WorkUnit.LabelledFile(
                    file.getPath().toString(), file.getLen(), wnid, "folder"));
          }
        }
      } else {
        planned.add(
            new IngestRecord.Quarantined(
                entry.getPath().toString(),
                entry.getPath().getName(),
                Rejection.NON_SYNSET_MEMBER.reason(),
                "a file outside any class folder"));
      }
    }
    return new IngestPlan(chunk(files, options.filesPerTask()), List.copyOf(wnids), planned);
  }

  /**
   * Val images labelled by the devkit's ground truth (line i = ILSVRC2012_ID of image i) mapped
   * through synsets.tsv to wnids, or by LOC_val_solution.csv. Labels are indices into the sorted
   * wnids, never the ILSVRC2012_ID order.
   */
  private static IngestPlan validation(FileSystem fs, Path source, IngestOptions options)
      throws IOException {
    Path parent = source.getParent();
    String labels = options.valLabels();
    if (labels == null) {
      Path truth = new Path(parent, ImageNetFiles.DEVKIT_VAL_GROUND_TRUTH);
      labels =
          (fs.exists(truth) ? truth : new Path(parent, ImageNetFiles.KAGGLE_VAL_SOLUTION))
              .toString();
    }
    Map<String, String> wnidByImage = new HashMap<>();
    TreeSet<String> wnids = new TreeSet<>();
    if (labels.endsWith(".csv")) {
      List<String> lines = lines(fs, new Path(labels));
      for (String line : lines.subList(1, lines.size())) {
        String[] cols = line.split(",", 2);
        if (cols.length == 2 && !cols[1].isBlank()) {
          String wnid = cols[1].trim().split("\\s+")[0];
          wnidByImage.put(cols[0].trim(), wnid);
          wnids.add(wnid);
        }
      }
    } else {
      Map<Integer, String> wnidById = wnidById(fs, parent, options.valSynsets());
      wnids.addAll(wnidById.values());
      List<String> truth = lines(fs, new Path(labels));
      for (int i = 0; i < truth.size(); i++) {
        String id = truth.get(i).trim();
        String wnid = id.matches("\\d+") ? wnidById.get(Integer.parseInt(id)) : null;
        if (wnid != null) {
          wnidByImage.put(String.format(Locale.ROOT, "ILSVRC2012_val_%08d", i + 1), wnid);
        }
      }
    }
    if (fs.getFileStatus(source).isFile()) {
      return validationArchive(fs, source, labels, wnidByImage, wnids, options);
    }
    List<WorkUnit.LabelledFile> files = new ArrayList<>();
    for (FileStatus file : fs.listStatus(source)) {
      if (!file.isFile()) {
        continue;
      }
      ValLabel label = ValLabel.of(file.getPath().getName(), wnidByImage, labels);
      files.add(
          new WorkUnit.LabelledFile(
              file.getPath().toString(), file.getLen(), label.wnid(), label.source()));
    }
    return new IngestPlan(chunk(files, options.filesPerTask()), List.copyOf(wnids), List.of());
  }

  /**
   * The val images as members of one flat tar (ILSVRC2012_img_val.tar as distributed): indexed from
   * its headers, read by byte range on the executors. A cut-off archive keeps the members before
   * the cut; the cut one is quarantined.
   */
  private static IngestPlan validationArchive(
      FileSystem fs,
      Path archive,
      String labels,
      Map<String, String> wnidByImage,
      TreeSet<String> wnids,
      IngestOptions options)
      throws IOException {
    TarIndex index = TarIndex.of(fs, archive);
    List<WorkUnit.LabelledMember> members = new ArrayList<>();
    List<IngestRecord.Quarantined> planned = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (TarMember member : index.members()) {
      if (!seen.add(member.baseName())) {
        planned.add(
            new IngestRecord.Quarantined(
                archive + "!" + member.name(),
                member.name(),
                Rejection.DUPLICATE_KEY.reason(),
                "a second " + member.baseName() + " in the archive; the first is kept"));
        continue;
      }
      ValLabel label = ValLabel.of(member.baseName(), wnidByImage, labels);
      members.add(
          new WorkUnit.LabelledMember(
              member.name(), member.dataOffset(), member.size(), label.wnid(), label.source()));
    }
    index.cutMember().ifPresent(cut -> planned.add(cutOff(archive.toString(), cut)));
    index.special().forEach(name -> planned.add(notRegular(archive.toString(), name)));
    List<WorkUnit> units = new ArrayList<>();
    for (List<WorkUnit.LabelledMember> part : partition(members, options.filesPerTask())) {
      units.add(new WorkUnit.ArchiveFiles(archive.toString(), part));
    }
    return new IngestPlan(units, List.copyOf(wnids), planned);
  }

  /**
   * ILSVRC2012_ID -> wnid from the devkit's meta.mat or from a table {@code ID<TAB>wnid}; looked up
   * beside the val folder when not given: synsets.tsv, meta.mat,
   * ILSVRC2012_devkit_t12/data/meta.mat.
   */
  private static Map<Integer, String> wnidById(FileSystem fs, Path parent, String given)
      throws IOException {
    Path path = given == null ? null : new Path(given);
    if (path == null) {
      for (String candidate :
          List.of(
              ImageNetFiles.SYNSETS_TSV,
              ImageNetFiles.DEVKIT_META,
              ImageNetFiles.DEVKIT_META_IN_DEVKIT)) {
        if (fs.exists(new Path(parent, candidate))) {
          path = new Path(parent, candidate);
          break;
        }
      }
      if (path == null) {
        throw new IllegalArgumentException(
            "no ILSVRC2012_ID -> wnid table beside "
                + parent
                + "; name one with ingest.val-synsets (meta.mat or a TSV)");
      }
    }
    if (path.getName().endsWith(".mat")) {
      try (InputStream in = fs.open(path)) {
        return DevkitMeta.wnidById(in, path.toString());
      }
    }
    Map<Integer, String> wnidById = new HashMap<>();
    for (String line : lines(fs, path)) {
      String[] cols = line.split("\t");
      if (cols.length >= 2 && cols[0].matches("\\d+")) {
        wnidById.put(Integer.parseInt(cols[0]), cols[1]);
      }
    }
    return wnidById;
  }

  private static List<WorkUnit> chunk(List<WorkUnit.LabelledFile> files, int size) {
    List<WorkUnit> units = new ArrayList<>();
    for (List<WorkUnit.LabelledFile> part : partition(files, size)) {
      units.add(new WorkUnit.Files(part));
    }
    return units;
  }

  /** Consecutive pieces of at most {@code size} items. */
  private static <T> List<List<T>> partition(List<T> items, int size) {
    List<List<T>> parts = new ArrayList<>();
    for (int i = 0; i < items.size(); i += size) {
      parts.add(List.copyOf(items.subList(i, Math.min(items.size(), i + size))));
    }
    return parts;
  }

  /** The member an archive ends inside of: quarantined, the members before it kept. */
  private static IngestRecord.Quarantined cutOff(String archive, String member) {
    return new IngestRecord.Quarantined(
        archive,
        member,
        Rejection.UNREADABLE_ARCHIVE.reason(),
        "the archive ends inside this member");
  }

  /**
   * A val image's wnid by its ILSVRC2012_val_N stem (null when the labels do not name one), and
   * where that came from: the label file, or why there is none.
   */
  private record ValLabel(String wnid, String source) {
    static ValLabel of(String name, Map<String, String> wnidByImage, String labels) {
      String stem = name.contains(".") ? name.substring(0, name.lastIndexOf('.')) : name;
      String wnid = VAL_IMAGE.matcher(name).matches() ? wnidByImage.get(stem) : null;
      return new ValLabel(wnid, wnid == null ? "no label for " + stem + " in " + labels : labels);
    }
  }

  private static List<String> lines(FileSystem fs, Path path) throws IOException {
    if (!fs.exists(path)) {
      throw new IllegalArgumentException("label file does not exist: " + path);
    }
    try (InputStream in = fs.open(path)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    }
  }
}
