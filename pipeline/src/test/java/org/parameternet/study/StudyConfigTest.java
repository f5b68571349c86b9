package org.parameternet.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.parameternet.model.ModelRegistry;

/** The study files shipped in conf/studies load, and the ablation studies run the ablations. */
class StudyConfigTest {
  private static final List<String> DATA =
      List.of("target.train=/t", "target.val=/v", "pretraining=[{name=big, train=/p}]");

  private static StudyConfig load(String name) {
    return StudyConfig.load(new File("../conf/studies/" + name), DATA);
  }

  @Test
  void everyStudyFileLoads() {
    File[] files = new File("../conf/studies").listFiles((d, n) -> n.endsWith(".conf"));
    assertTrue(files != null && files.length >= 5, "conf/studies has the study files");
    for (File f : files) {
      StudyConfig study = StudyConfig.load(f, DATA);
      assertTrue(ModelRegistry.names().containsAll(study.models()), f.getName());
    }
  }

  @Test
  void ablationStudiesHoldTable4sExpertsAndTable6sRepConv() {
    assertEquals(
        List.of(
            "ghostnet_300m",
            "parameternet_300m_e2",
            "parameternet_300m",
            "parameternet_300m_e8",
            "repconv_300m"),
        load("ablations.conf").models());
    for (String file : new String[] {"demo-ablations.conf", "ablations-small.conf"}) {
      List<String> models = load(file).models();
      assertEquals(5, models.size(), file);
      Set<Integer> experts =
          Set.copyOf(models.stream().map(m -> ModelRegistry.get(m).experts()).toList());
      assertEquals(Set.of(0, 2, 4, 8), experts, file);
      assertTrue(models.stream().anyMatch(m -> ModelRegistry.get(m).isReparameterised()), file);
    }
  }

  /** The included recipe is the recipe: ablation rows are comparable with the main study's. */
  @Test
  void ablationStudiesShareTheirMainStudysRecipe() {
    for (String[] pair :
        new String[][] {{"ablations.conf", "paper.conf"}, {"demo-ablations.conf", "demo.conf"}}) {
      StudyConfig ablations = load(pair[0]);
      StudyConfig main = load(pair[1]);
      assertEquals(main.common(), ablations.common(), pair[0]);
      assertEquals(main.scratch(), ablations.scratch(), pair[0]);
      assertEquals(main.pretrain(), ablations.pretrain(), pair[0]);
      assertEquals(main.finetune(), ablations.finetune(), pair[0]);
    }
    assertEquals(load("paper.conf").out(), load("ablations.conf").out());
  }
}
