package org.parameternet.ingest;

import java.io.Serializable;

/** What became of one input: a written image or a quarantined entry. */
public sealed interface IngestRecord extends Serializable {

  record Image(
      String key,
      String wnid,
      byte[] jpeg,
      String fileName,
      int height,
      int width,
      int originalHeight,
      int originalWidth,
      String source)
      implements IngestRecord {}

  record Quarantined(String source, String entry, String reason, String detail)
      implements IngestRecord {}
}
