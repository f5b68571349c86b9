package org.parameternet.ingest;

import java.io.Serializable;
import java.util.List;

/** A piece of ingest work for one Spark task. Paths are Hadoop FileSystem URIs. */
public sealed interface WorkUnit extends Serializable {

  /**
   * One synset tar: {@code length} bytes at {@code offset} of {@code archive} (the whole file for a
   * directory of synset tars). A large synset is split: part {@code part} of {@code parts}
   * processes the entries whose index modulo {@code parts} equals {@code part}.
   */
  record SynsetTar(
      String archive, long offset, long length, String member, String wnid, int part, int parts)
      implements WorkUnit {}

  /** Loose image files with their wnid (null when the labels did not name one). */
  record Files(List<LabelledFile> files) implements WorkUnit {}

  /** An image file and the class its source assigns it. */
  record LabelledFile(String path, String wnid, String labelSource) implements Serializable {}
}
