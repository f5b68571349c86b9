package org.parameternet.data.labels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClassNamesTest {
  private static Map<String, String> read(String text, String name) throws IOException {
    return ClassNames.read(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), name);
  }

  @Test
  void readsImageNetsWordsTxt() throws IOException {
    Map<String, String> names =
        read("n00001740\tentity\nn01440764\ttench, Tinca tinca\n", "words.txt");
    assertEquals(Map.of("n00001740", "entity", "n01440764", "tench, Tinca tinca"), names);
  }

  @Test
  void readsKagglesSynsetMappingAndSynsetsTsv() throws IOException {
    assertEquals(
        "goldfish, Carassius auratus",
        read("n01443537 goldfish, Carassius auratus\n", "LOC_synset_mapping.txt").get("n01443537"));
    assertEquals(
        "tench, Tinca tinca",
        read("ILSVRC2012_ID\twnid\twords\n449\tn01440764\ttench, Tinca tinca\n", "synsets.tsv")
            .get("n01440764"));
  }

  /** The val planner's two-column ID table names no classes but is still a wnid list. */
  @Test
  void readsIdTablesWithAndWithoutNames() throws IOException {
    assertEquals(
        Map.of("n01440764", "", "n01443537", "goldfish"),
        read("ILSVRC2012_ID\twnid\n449\tn01440764\n1\tn01443537\tgoldfish\n", "ids.tsv"));
  }

  @Test
  void readsTheDevkitMetaMat() throws IOException {
    ByteArrayOutputStream mat = new ByteArrayOutputStream();
    DevkitMeta.write(
        mat,
        List.of(
            new DevkitMeta.Synset(1, "n02119789", "kit fox, Vulpes macrotis"),
            new DevkitMeta.Synset(2, "n02100735", "English setter")));
    Map<String, String> names =
        ClassNames.read(new ByteArrayInputStream(mat.toByteArray()), "meta.mat");
    assertEquals("kit fox, Vulpes macrotis", names.get("n02119789"));
    assertEquals("English setter", names.get("n02100735"));
  }

  @Test
  void aLineWithoutAWnidNamesTheFileAndLine() {
    IOException e =
        assertThrows(
            IOException.class, () -> read("n01440764\ttench\nnot a mapping\n", "words.txt"));
    assertTrue(e.getMessage().contains("words.txt line 2"), e.getMessage());
  }
}
