package org.parameternet.model.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;

class CostCounterTest {

  /** The paper's Table 2 and Table 4 at 224x224 and 1000 classes, to its rounding. */
  @ParameterizedTest
  @CsvSource({
    "ghostnet_300m, 8.6, 289",
    "parameternet_300m, 15.7, 298",
    "parameternet_300m_e2, 11.0, 293",
    "parameternet_300m_e8, 25.2, 308",
    "ghostnet_600m, 19.8, 579",
    "parameternet_600m, 34.5, 599",
  })
  void reproducesThePapersCounts(String model, double paramsMillions, long flopsMillions) {
    ModelCost cost = CostCounter.count(ModelRegistry.get(model));
    assertEquals(paramsMillions, Math.round(cost.params() / 1e5) / 10.0, model + " params");
    assertEquals(flopsMillions, Math.round(cost.macs() / 1e6), model + " FLOPs");
  }

  /**
   * Finer figures from the independent counter quoted in docs/architecture.md, "Counting
   * convention" (3 decimals, in M).
   */
  @ParameterizedTest
  @CsvSource({
    "ghostnet_300m, 8.633, 288.71",
    "parameternet_300m, 15.737, 298.18",
    "ghostnet_600m, 19.822, 579.20",
    "parameternet_600m, 34.505, 598.77",
  })
  void matchesTheReferenceCounterClosely(String model, double params, double macs) {
    ModelCost cost = CostCounter.count(ModelRegistry.get(model));
    assertEquals(params, cost.params() / 1e6, 0.0006, model + " params");
    assertEquals(macs, cost.macs() / 1e6, 0.006, model + " MACs");
  }

  /**
   * Table 6's columns: RepConv trains 15.7M parameters and infers with GhostNet-300M's 8.6M and
   * 289M FLOPs; every other model infers with what it trains. The finer figures are
   * ../shared/reference/ablations.md's derivation: 8.633M + 3 x (2.3427M weights + 0.0289M BN).
   */
  @ParameterizedTest
  @CsvSource({
    "repconv_300m, 15.7, 8.6, 289",
    "parameternet_300m, 15.7, 15.7, 298",
    "ghostnet_300m, 8.6, 8.6, 289",
  })
  void reproducesTable6(String model, double train, double inference, long flops) {
    ModelCost cost = CostCounter.count(ModelRegistry.get(model));
    assertEquals(train, Math.round(cost.params() / 1e5) / 10.0, model + " training params");
    assertEquals(
        inference, Math.round(cost.inferenceParams() / 1e5) / 10.0, model + " inference params");
    assertEquals(flops, Math.round(cost.macs() / 1e6), model + " FLOPs");
  }

  @Test
  void repConvAddsThreeBranchesOfConvAndBnAtTheDynamicPositions() {
    ModelCost ghost = CostCounter.count(ModelRegistry.get("ghostnet_300m"));
    ModelCost rep = CostCounter.count(ModelRegistry.get("repconv_300m"));
    assertEquals(ghost.params(), rep.inferenceParams());
    assertEquals(ghost.macs(), rep.macs());
    assertEquals(15.748, rep.params() / 1e6, 0.0006);
    for (String size : new String[] {"small_64", "micro_32"}) {
      ModelCost g = CostCounter.count(ModelRegistry.get("ghostnet_" + size));
      ModelCost r = CostCounter.count(ModelRegistry.get("repconv_" + size));
      assertEquals(g.params(), r.inferenceParams(), size);
      assertEquals(g.macs(), r.macs(), size);
      assertEquals(true, r.params() > g.params(), size);
      assertEquals(0, (r.params() - g.params()) % 3, size + ": three more of each branch");
    }
  }

  @Test
  void classifierAndResolutionScaleTheCounts() {
    ModelSpec base = ModelRegistry.get("parameternet_300m");
    ModelCost at1k = CostCounter.count(base);
    ModelCost at22k = CostCounter.count(base.withClasses(21841));
    assertEquals(1281L * (21841 - 1000), at22k.params() - at1k.params());
    assertEquals(1280L * (21841 - 1000), at22k.macs() - at1k.macs());
    // Parameters do not depend on the input size; MACs grow with it.
    ModelCost at288 = CostCounter.count(base.withResolution(288));
    assertEquals(at1k.params(), at288.params());
    assertEquals(true, at288.macs() > at1k.macs() * 1.5);
  }
}
