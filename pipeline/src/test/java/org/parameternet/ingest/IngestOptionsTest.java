package org.parameternet.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.parameternet.data.image.ImageOptions;

class IngestOptionsTest {
  @Test
  void aBuilderStartsFromTheDefaultsAndChangesOnlyWhatItNames() {
    IngestOptions defaults = IngestOptions.builder(IngestFormat.FOLDERS, "/s", "/o").build();
    assertEquals(ImageOptions.DEFAULTS, defaults.image());
    assertEquals(null, defaults.mapTo());
    IngestOptions resized =
        IngestOptions.builder(IngestFormat.FOLDERS, "/s", "/o").resize(64).mapTo("/22k").build();
    assertEquals(64, resized.image().shorterSide());
    assertEquals(ImageOptions.DEFAULTS.maxPixels(), resized.image().maxPixels());
    assertEquals(defaults.shardBytes(), resized.shardBytes());
    assertEquals("/22k", resized.mapTo());
  }

  @Test
  void toBuilderKeepsEverySetting() {
    IngestOptions all =
        IngestOptions.builder(IngestFormat.IN1K_VAL, "/val", "/out")
            .image(new ImageOptions(48, 80, 8, 1_000_000L))
            .shardBytes(2 << 20)
            .splitBytes(3 << 20)
            .filesPerTask(5)
            .seed(9)
            .valLabels("/labels.csv")
            .valSynsets("/synsets.tsv")
            .overwrite(true)
            .mapTo("/22k")
            .classNames("/words.txt")
            .in21kP(new IngestOptions.In21kPRecipe(500, 50))
            .build();
    assertEquals(all, all.toBuilder().build());
  }
}
