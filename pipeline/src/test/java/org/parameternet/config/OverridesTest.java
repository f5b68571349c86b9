package org.parameternet.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code key=value} overrides take what users type, as the README shows them. */
class OverridesTest {
  private static final Config BASE =
      ConfigFactory.parseString(
          "train { data.path = \"\", out = \"\", epochs = 300, augment { scale-min = 0.08, hflip = 0.5 } }");

  private static Config set(String... overrides) {
    return Overrides.apply(BASE, "train", List.of(overrides));
  }

  @Test
  void uriAndPathValuesAreTakenAsTyped() {
    Config c =
        set(
            "data.path=file:///data/in1k-train",
            "out=hdfs://nn:8020/runs/a b",
            "data.val-path=s3a://bucket/val");
    assertEquals("file:///data/in1k-train", c.getString("train.data.path"));
    assertEquals("hdfs://nn:8020/runs/a b", c.getString("train.out"));
    assertEquals("s3a://bucket/val", c.getString("train.data.val-path"));
  }

  @Test
  void hoconValuesKeepTheirTypesAndObjectsMerge() {
    Config c =
        set("epochs=3", "train.out=\"quoted://x\"", "augment={scale-min=0.5}", "models=[a, b]");
    assertEquals(3, c.getInt("train.epochs"));
    assertEquals("quoted://x", c.getString("train.out"));
    assertEquals(0.5, c.getDouble("train.augment.scale-min"));
    assertEquals(0.5, c.getDouble("train.augment.hflip"), "an object merges into the key's object");
    assertEquals(List.of("a", "b"), c.getStringList("train.models"));
  }

  @Test
  void aListWhereTheKeyHoldsAStringIsTheTypedString() {
    assertEquals("[x]", set("out=[x]").getString("train.out"));
  }

  /**
   * Every {@code --set key=value} printed in the README and in docs/ parses, and URIs stay what was
   * typed.
   */
  @Test
  void everyDocumentedExampleParses() throws IOException {
    StringBuilder docs = new StringBuilder(Files.readString(Path.of("../README.md")));
    try (var pages = Files.walk(Path.of("../docs"))) {
      for (Path page : pages.filter(p -> p.toString().endsWith(".md")).sorted().toList()) {
        docs.append('\n').append(Files.readString(page));
      }
    }
    String readme = docs.toString();
    Matcher m = Pattern.compile("--set ([A-Za-z][\\w.-]*=[^\\s`\\]]+)").matcher(readme);
    List<String> examples = new ArrayList<>();
    while (m.find()) {
      examples.add(m.group(1));
    }
    assertFalse(examples.isEmpty(), "the docs show --set examples");
    for (String example : examples) {
      Config c = set(example);
      String key = example.substring(0, example.indexOf('='));
      String typed = example.substring(example.indexOf('=') + 1);
      if (typed.contains("://")) {
        assertEquals(typed, c.getString("train." + key), example);
      }
      assertTrue(c.hasPath("train." + key), example);
    }
  }
}
