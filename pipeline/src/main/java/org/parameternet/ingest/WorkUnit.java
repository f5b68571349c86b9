package org.parameternet.ingest;

import java.io.Serializable;
import java.util.List;

/** A piece of ingest work for one Spark task. Paths are Hadoop FileSystem URIs. */
public sealed interface WorkUnit extends Serializable {

  /** Input bytes this unit reads, to size the shuffle before any output exists. */
  long inputBytes();

  /**
   * One synset tar: {@code length} bytes at {@code offset} of {@code archive} (the whole file for a
   * directory of synset tars). A large synset is split: part {@code part} of {@code parts}
   * processes the entries whose index modulo {@code parts} equals {@code part}.
   */
  record SynsetTar(
      String archive, long offset, long length, String member, String wnid, int part, int parts)
      implements WorkUnit {
    @Override
    public long inputBytes() {
      return length / parts;
    }
  }

  /** Loose image files with their wnid (null when the labels did not name one). */
  record Files(List<LabelledFile> files) implements WorkUnit {
    @Override
    public long inputBytes() {
      return files.stream().mapToLong(LabelledFile::size).sum();
    }
  }

  /** Images stored as members of one flat archive (ILSVRC2012_img_val.tar), read by byte range. */
  record ArchiveFiles(String archive, List<LabelledMember> members) implements WorkUnit {
    @Override
    public long inputBytes() {
      return members.stream().mapToLong(LabelledMember::size).sum();
    }
  }

  /** A tar member's name and data range, with the class its labels assign it (or null). */
  record LabelledMember(String name, long offset, long size, String wnid, String labelSource)
      implements Serializable {}

  /** An image file and the class its source assigns it. */
  record LabelledFile(String path, long size, String wnid, String labelSource)
      implements Serializable {}
}
