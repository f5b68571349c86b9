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
                List.of(
                    ModelRegistry.get("ghostnet_300m"),
                    ModelRegistry.get("parameternet_300m"),
                    ModelRegistry.get("repconv_300m")))
            .toCsv();
    String[] lines = csv.split("\n");
    assertEquals(
        "model,experts,branches,params,inference_params,flops,resolution,classes", lines[0]);
    assertEquals(4, lines.length);
    String[] ghost = lines[1].split(",");
    assertEquals("ghostnet_300m", ghost[0]);
    assertEquals("0", ghost[1]);
    assertEquals("1", ghost[2]);
    assertEquals(8.6, Math.round(Long.parseLong(ghost[3]) / 1e5) / 10.0);
    assertEquals(ghost[3], ghost[4]);
    assertEquals(289, Math.round(Long.parseLong(ghost[5]) / 1e6));
    assertEquals("224", ghost[6]);
    assertEquals("1000", ghost[7]);
    assertEquals("4", lines[2].split(",")[1]);
    String[] rep = lines[3].split(",");
    assertEquals("4", rep[2]);
    assertEquals(15.7, Math.round(Long.parseLong(rep[3]) / 1e5) / 10.0);
    assertEquals(ghost[3], rep[4]);
    assertEquals(ghost[5], rep[5]);
  }

  @Test
  void markdownRoundsLikeThePaper() {
    String md =
        ModelTable.of(
                List.of(ModelRegistry.get("parameternet_600m"), ModelRegistry.get("repconv_300m")))
            .toMarkdown();
    assertEquals(
        "| model | added parameters | training params | inference params | FLOPs | resolution |"
            + " classes |\n"
            + "|---|---|---:|---:|---:|---:|---:|\n"
            + "| parameternet_600m | 4 experts | 34.5M | 34.5M | 599M | 224 | 1000 |\n"
            + "| repconv_300m | 4 branches (RepConv) | 15.7M | 8.6M | 289M | 224 | 1000 |\n",
        md);
  }
}
