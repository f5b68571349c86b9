package org.parameternet.ingest;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.utils.BoundedInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.Path;
import org.parameternet.data.image.ImageOptions;
import org.parameternet.data.image.ImageProcessor;
import org.parameternet.data.image.ProcessedImage;
import org.parameternet.data.image.Rejection;
import org.parameternet.data.tar.TarIndex;
import org.parameternet.data.tar.TarMember;

/**
 * Turns one {@link WorkUnit} into records, on an executor. Nothing here throws on bad data: every
 * entry ends as an image or a quarantine record, and a synset tar cut off midway keeps the entries
 * before the cut.
 */
final class UnitProcessor {
  private final ImageProcessor images;
  private final Configuration conf;
  private final long maxFileBytes;

  UnitProcessor(ImageOptions options, Configuration conf) {
    this.images = new ImageProcessor(options);
    this.conf = conf;
    this.maxFileBytes = options.maxFileBytes();
  }

  List<IngestRecord> process(WorkUnit unit) {
    if (unit instanceof WorkUnit.SynsetTar tar) {
      return synsetTar(tar);
    }
    if (unit instanceof WorkUnit.ArchiveFiles archive) {
      return archiveFiles(archive);
    }
    return files((WorkUnit.Files) unit);
  }

  private List<IngestRecord> synsetTar(WorkUnit.SynsetTar unit) {
    List<IngestRecord> out = new ArrayList<>();
    String source = unit.archive() + (unit.member() == null ? "" : "!" + unit.member());
    Path archive = new Path(unit.archive());
    int index = -1;
    String current = null;
    // Every part walks every header, so each sees the names before its own entries.
    java.util.Set<String> seen = new java.util.HashSet<>();
    try (FSDataInputStream raw = archive.getFileSystem(conf).open(archive)) {
      raw.seek(unit.offset());
      InputStream bounded = new BoundedInputStream(raw, unit.length());
      TarArchiveInputStream tar =
          new TarArchiveInputStream(new BufferedInputStream(bounded, 1 << 16));
      TarArchiveEntry entry;
      while ((entry = tar.getNextTarEntry()) != null) {
        if (!TarIndex.regular(entry) && !TarIndex.special(entry)) {
          continue; // directories: no input
        }
        index++;
        current = entry.getName();
        if (TarIndex.special(entry)) {
          if (index % unit.parts() == unit.part()) {
            out.add(
                rejected(source, current, Rejection.NOT_A_REGULAR_FILE, "a link, device or FIFO"));
          }
          continue;
        }
        boolean repeated = !seen.add(current);
        if (index % unit.parts() != unit.part()) {
          continue;
        }
        if (repeated) {
          out.add(rejected(source, current, Rejection.DUPLICATE_KEY, "repeats an earlier member"));
          continue;
        }
        if (entry.getRealSize() > maxFileBytes) {
          out.add(rejected(source, current, Rejection.TOO_LARGE, tooLarge(entry.getRealSize())));
          continue; // the next header read skips the data
        }
        byte[] bytes = tar.readAllBytes();
        if (bytes.length != entry.getRealSize()) {
          throw new IOException(
              "entry ends after " + bytes.length + " of " + entry.getRealSize() + " bytes");
        }
        out.add(image(unit.wnid(), unit.wnid() + "/" + current, current, bytes, source));
      }
    } catch (IOException | RuntimeException e) {
      // The entry being read when the archive broke is owned by one part; that part reports it.
      int owner = Math.max(index, 0) % unit.parts();
      if (owner == unit.part()) {
        String where = current == null ? "before the first entry" : "inside " + current;
        out.add(
            new IngestRecord.Quarantined(
                source,
                current == null ? "" : current,
                Rejection.UNREADABLE_ARCHIVE.reason(),
                "synset tar unreadable " + where + ": " + e.getMessage()));
      }
    }
    return out;
  }

  private List<IngestRecord> files(WorkUnit.Files unit) {
    List<IngestRecord> out = new ArrayList<>();
    for (WorkUnit.LabelledFile file : unit.files()) {
      Path path = new Path(file.path());
      String key = path.getParent().getName() + "/" + path.getName();
      if (file.wnid() == null) {
        out.add(
            new IngestRecord.Quarantined(
                file.path(), path.getName(), Rejection.UNKNOWN_WNID.reason(), file.labelSource()));
        continue;
      }
      if (file.size() > maxFileBytes) {
        out.add(rejected(file.path(), path.getName(), Rejection.TOO_LARGE, tooLarge(file.size())));
        continue;
      }
      try (FSDataInputStream in = path.getFileSystem(conf).open(path)) {
        out.add(image(file.wnid(), key, path.getName(), in.readAllBytes(), file.path()));
      } catch (IOException | RuntimeException e) {
        out.add(
            new IngestRecord.Quarantined(
                file.path(),
                path.getName(),
                Rejection.CORRUPT.reason(),
                "unreadable: " + e.getMessage()));
      }
    }
    return out;
  }

  private List<IngestRecord> archiveFiles(WorkUnit.ArchiveFiles unit) {
    Path archive = new Path(unit.archive());
    FSDataInputStream in;
    try {
      in = archive.getFileSystem(conf).open(archive);
    } catch (IOException e) {
      List<IngestRecord> out = new ArrayList<>();
      for (WorkUnit.LabelledMember member : unit.members()) {
        out.add(
            new IngestRecord.Quarantined(
                unit.archive() + "!" + member.name(),
                member.name(),
                Rejection.UNREADABLE_ARCHIVE.reason(),
                "archive did not open: " + e.getMessage()));
      }
      return out;
    }
    try {
      return archiveMembers(unit, in);
    } finally {
      org.apache.hadoop.io.IOUtils.closeStream(in);
    }
  }

  /** Each member read by positional read from the open archive. */
  private List<IngestRecord> archiveMembers(WorkUnit.ArchiveFiles unit, FSDataInputStream in) {
    List<IngestRecord> out = new ArrayList<>();
    String folder = new Path(unit.archive()).getName().replaceFirst("\\.tar$", "");
    for (WorkUnit.LabelledMember member : unit.members()) {
      String source = unit.archive() + "!" + member.name();
      if (member.wnid() == null) {
        out.add(
            new IngestRecord.Quarantined(
                source, member.name(), Rejection.UNKNOWN_WNID.reason(), member.labelSource()));
        continue;
      }
      if (member.size() > maxFileBytes) {
        out.add(rejected(source, member.name(), Rejection.TOO_LARGE, tooLarge(member.size())));
        continue;
      }
      byte[] bytes = new byte[(int) member.size()];
      try {
        in.readFully(member.offset(), bytes);
      } catch (IOException e) {
        out.add(
            new IngestRecord.Quarantined(
                source,
                member.name(),
                Rejection.UNREADABLE_ARCHIVE.reason(),
                "member unreadable: " + e.getMessage()));
        continue;
      }
      String key = folder + "/" + TarMember.baseName(member.name());
      out.add(image(member.wnid(), key, member.name(), bytes, source));
    }
    return out;
  }

  private static IngestRecord.Quarantined rejected(
      String source, String entry, Rejection reason, String detail) {
    return new IngestRecord.Quarantined(source, entry, reason.reason(), detail);
  }

  private String tooLarge(long bytes) {
    return bytes + " bytes, above the " + maxFileBytes + " any image within the pixel limit takes";
  }

  private IngestRecord image(String wnid, String key, String entry, byte[] bytes, String source) {
    ProcessedImage result;
    try {
      result = images.process(bytes);
    } catch (RuntimeException e) {
      result = new ProcessedImage.Rejected(Rejection.CORRUPT, "decoder failed: " + e);
    }
    if (result instanceof ProcessedImage.Accepted a) {
      return new IngestRecord.Image(
          key,
          wnid,
          a.jpeg(),
          TarMember.baseName(entry),
          a.height(),
          a.width(),
          a.originalHeight(),
          a.originalWidth(),
          source);
    }
    ProcessedImage.Rejected r = (ProcessedImage.Rejected) result;
    return new IngestRecord.Quarantined(source, entry, r.reason().reason(), r.detail());
  }
}
