package org.parameternet.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.parameternet.report.ModelTable;

class ModelTableTest {

  @Test
  void csvHasRawCountsUnderTheDocumentedHeader() {
    String csv =
        ModelTable.of(
                List.of(ModelRegistry.get("ghostnet_300m"), ModelRegistry.get("parameternet_300m")))
            .toCsv();
    String[] lines = csv.split("\n");
    assertEquals("model,experts,params,flops,resolution,classes", lines[0]);
    assertEquals(3, lines.length);
    String[] ghost = lines[1].split(",");
    assertEquals("ghostnet_300m", ghost[0]);
    assertEquals("0", ghost[1]);
    assertEquals(8.6, Math.round(Long.parseLong(ghost[2]) / 1e5) / 10.0);
    assertEquals(289, Math.round(Long.parseLong(ghost[3]) / 1e6));
    assertEquals("224", ghost[4]);
    assertEquals("1000", ghost[5]);
    assertEquals("4", lines[2].split(",")[1]);
  }

  @Test
  void markdownRoundsLikeThePaper() {
    String md =
        ModelTable.of(List.of(ModelRegistry.get("parameternet_600m").withClasses(1000)))
            .toMarkdown();
    assertEquals(
        "| model | experts | params | FLOPs | resolution | classes |\n"
            + "|---|---:|---:|---:|---:|---:|\n"
            + "| parameternet_600m | 4 | 34.5M | 599M | 224 | 1000 |\n",
        md);
  }
}
