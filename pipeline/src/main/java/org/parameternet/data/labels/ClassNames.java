package org.parameternet.data.labels;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Human-readable class names by wnid, from the files ImageNet ships them in: {@code words.txt}
 * ({@code wnid<TAB>words}, all 82,115 synsets of fall11), Kaggle's {@code LOC_synset_mapping.txt}
 * ({@code wnid words}), the devkit's {@code meta.mat}, or a {@code synsets.tsv} ({@code
 * ILSVRC2012_ID<TAB>wnid<TAB>words}).
 */
public final class ClassNames {
  /** Looked up beside an ingest source when no file is named. */
  public static final List<String> BESIDE_SOURCE =
      List.of(ImageNetFiles.WORDS, ImageNetFiles.KAGGLE_SYNSET_MAPPING);

  private static final Pattern WNID = Pattern.compile("n\\d{8}");

  private ClassNames() {}

  /** wnid -> name; {@code name} (the file's name or path) picks the format and names errors. */
  public static Map<String, String> read(InputStream in, String name) throws IOException {
    Map<String, String> names = new LinkedHashMap<>();
    if (name.endsWith(".mat")) {
      DevkitMeta.wordsByWnid(in, name).forEach((wnid, words) -> names.put(wnid, clean(words)));
      return names;
    }
    BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    String line;
    int number = 0;
    while ((line = lines.readLine()) != null) {
      number++;
      if (line.isBlank()) {
        continue;
      }
      String[] columns = line.split("\t", -1);
      if (columns.length >= 2
          && WNID.matcher(columns[1].strip()).matches()
          && !WNID.matcher(columns[0].strip()).matches()) {
        // ILSVRC2012_ID<TAB>wnid[<TAB>words]: synsets.tsv and the val planner's ID table
        names.put(columns[1].strip(), columns.length > 2 ? clean(columns[2]) : "");
        continue;
      }
      String[] fields = line.strip().split("\\s+", 2);
      if (WNID.matcher(fields[0]).matches()) {
        names.put(fields[0], fields.length > 1 ? clean(fields[1]) : "");
      } else if (number > 1) {
        throw new IOException(
            name
                + " line "
                + number
                + ": expected 'wnid<TAB or SPACE>name' or 'ILSVRC2012_ID<TAB>wnid<TAB>name', got '"
                + line
                + "'");
      } // else a header line
    }
    return names;
  }

  /** One line, no tabs: names go into a TSV. */
  private static String clean(String words) {
    return words.replaceAll("[\\t\\r\\n]+", " ").strip();
  }
}
