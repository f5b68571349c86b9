package org.parameternet.study;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoDataTest {
  /** The demo studies, pointed at the demo's data, train on what the demo ingests. */
  @Test
  void aDemoStudyReadsTheDataTheDemoIngests() {
    DemoData data = new DemoData("file:/tmp/pnet-demo");
    for (String file : List.of("demo.conf", "demo-ablations.conf")) {
      StudyConfig study =
          StudyConfig.load(new File("../conf/studies/" + file), data.studySettings());
      assertEquals("file:/tmp/pnet-demo", study.out(), file);
      assertEquals(data.train(), study.target().train(), file);
      assertEquals(data.val(), study.target().val(), file);
      assertEquals(1, study.pretraining().size(), file);
      assertEquals(data.in22k(), study.pretraining().get(0).train(), file);
    }
  }
}
