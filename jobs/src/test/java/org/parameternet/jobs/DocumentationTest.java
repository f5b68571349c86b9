package org.parameternet.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What the README and docs/ print is what the code does: command lines parse, keys agree. */
class DocumentationTest {
  private static final Path ROOT = Path.of("..");

  private static List<Path> pages() throws IOException {
    List<Path> pages = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (var docs = Files.walk(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    return pages;
  }

  /**
   * Every {@code pnet} command line in a code block of the README and docs/ ({@code bin/pnet ...},
   * {@code pnet ...}, or the arguments after the jar of a {@code spark-submit}) parses: its
   * subcommand and options exist and its values convert. Lines with a {@code <placeholder>} are
   * skipped.
   */
  @Test
  void everyDocumentedCommandLineParses() throws IOException {
    int parsed = 0;
    for (Path page : pages()) {
      for (String line : commandLines(Files.readString(page))) {
        List<String> words = words(line);
        int start = pnetArguments(words);
        if (start < 0 || line.contains("<") || words.contains("$COMMON")) {
          continue;
        }
        List<String> args = words.subList(start, words.size());
        CommandLine cli = Pnet.commandLine(new ConfigDefaults(ConfigFactory.empty(), "none"));
        try {
          cli.parseArgs(args.toArray(String[]::new));
        } catch (CommandLine.ParameterException e) {
          throw new AssertionError(page + ": `" + line + "` does not parse: " + e.getMessage(), e);
        }
        parsed++;
      }
    }
    assertTrue(parsed >= 10, "only " + parsed + " documented command lines found");
  }

  /**
   * The training-keys table of docs/commands/pretrain.md lists exactly the keys of pnet.train in
   * reference.conf, each with the default declared there.
   */
  @Test
  void theTrainingKeysTableIsReferenceConf() throws IOException {
    Config train = ConfigFactory.defaultReference().getConfig("pnet.train");
    Map<String, String> documented = new TreeMap<>();
    Matcher row =
        Pattern.compile("(?m)^\\| (`[a-z][\\w.-]*`(?:, `[a-z][\\w.-]*`)*) \\| ([^|]*) \\|")
            .matcher(keysSection(Files.readString(ROOT.resolve("docs/commands/pretrain.md"))));
    while (row.find()) {
      String[] keys = row.group(1).replace("`", "").split(", ");
      String[] defaults = row.group(2).trim().split(", ");
      for (int i = 0; i < keys.length; i++) {
        documented.put(keys[i], defaults.length == keys.length ? defaults[i] : row.group(2));
      }
    }
    Map<String, String> declared = new TreeMap<>();
    for (var e : train.entrySet()) {
      declared.put(
          e.getKey(),
          e.getValue().valueType() == ConfigValueType.STRING
              ? train.getString(e.getKey())
              : e.getValue().unwrapped().toString());
    }
    assertEquals(declared.keySet(), documented.keySet(), "documented keys vs reference.conf");
    for (var e : declared.entrySet()) {
      String doc = documented.get(e.getKey()).replace("`", "").trim();
      String value = e.getValue();
      boolean same =
          doc.equals(value)
              || (value.isEmpty() && (doc.equals("\"\"") || doc.equals("(required)")))
              || sameNumber(doc, value);
      assertTrue(same, e.getKey() + ": documented " + doc + ", declared " + value);
    }
  }

  /** The "Training configuration keys" section, up to the next heading. */
  private static String keysSection(String page) {
    int start = page.indexOf("# Training configuration keys");
    assertTrue(start >= 0, "docs/commands/pretrain.md has no training keys section");
    int end = page.indexOf("\n#", start + 1);
    return page.substring(start, end < 0 ? page.length() : end);
  }

  private static boolean sameNumber(String a, String b) {
    try {
      return Math.abs(Double.parseDouble(a) - Double.parseDouble(b))
          <= 1e-3 * Math.abs(Double.parseDouble(b));
    } catch (NumberFormatException e) {
      return false;
    }
  }

  /** The lines of bash code blocks, backslash continuations joined and comments cut. */
  static List<String> commandLines(String markdown) {
    List<String> lines = new ArrayList<>();
    boolean code = false;
    boolean fenced = false;
    StringBuilder pending = new StringBuilder();
    for (String raw : markdown.split("\n")) {
      if (raw.startsWith("```")) {
        code = !fenced && (raw.equals("```bash") || raw.equals("```sh"));
        fenced = !fenced;
        continue;
      }
      if (!code) {
        continue;
      }
      String line = raw.replaceFirst("\\s+#\\s.*$", "");
      if (line.endsWith("\\")) {
        pending.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      pending.append(line);
      lines.add(pending.toString().trim());
      pending.setLength(0);
    }
    return lines;
  }

  /** Index of the first pnet argument in {@code words}, or -1 when the line runs no pnet. */
  static int pnetArguments(List<String> words) {
    if (words.isEmpty()) {
      return -1;
    }
    int first = words.get(0).contains("=") && !words.get(0).startsWith("-") ? 1 : 0; // VAR=x
    while (first < words.size() && words.get(first).matches("[A-Z_]+=.*")) {
      first++;
    }
    if (first >= words.size()) {
      return -1;
    }
    String command = words.get(first);
    if (command.equals("bin/pnet") || command.equals("pnet")) {
      return first + 1;
    }
    if (command.equals("spark-submit")) {
      for (int i = first + 1; i < words.size(); i++) {
        if (words.get(i).endsWith(".jar") || words.get(i).equals("$JAR")) {
          return i + 1;
        }
      }
    }
    return -1;
  }

  /** Shell words: whitespace-separated, single and double quotes kept together and removed. */
  static List<String> words(String line) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    char quote = 0;
    boolean inWord = false;
    for (char c : line.toCharArray()) {
      if (quote != 0) {
        if (c == quote) {
          quote = 0;
        } else {
          word.append(c);
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
        inWord = true;
      } else if (Character.isWhitespace(c)) {
        if (inWord) {
          words.add(word.toString());
          word.setLength(0);
          inWord = false;
        }
      } else {
        word.append(c);
        inWord = true;
      }
    }
    if (inWord) {
      words.add(word.toString());
    }
    assertFalse(quote != 0, "unbalanced quote in " + line);
    return words;
  }
}
