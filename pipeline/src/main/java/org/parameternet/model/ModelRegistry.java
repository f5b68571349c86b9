package org.parameternet.model;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Named variants: the one handle for a model in configs, checkpoints, tables and reports. */
public final class ModelRegistry {
  private static final Map<String, ModelSpec> VARIANTS = new LinkedHashMap<>();

  /** The original conv and three more in parallel: the paper's "3 more parallel branches". */
  private static final int REPCONV_BRANCHES = 4;

  static {
    // Paper models at 224x224, 1000 classes (docs/architecture.md, "Registry" and the counts).
    register(paperModel("ghostnet_300m", BlockTables.GHOSTNET_V1, 1.45, 0));
    register(paperModel("parameternet_300m", BlockTables.GHOSTNET_V1, 1.45, 4));
    register(paperModel("parameternet_300m_e2", BlockTables.GHOSTNET_V1, 1.45, 2));
    register(paperModel("parameternet_300m_e8", BlockTables.GHOSTNET_V1, 1.45, 8));
    // Table 6's RepConv: 4 conv + BN branches at the 76 positions ParameterNet makes dynamic,
    // folded into GhostNet-300M for inference (docs/architecture.md, "Ablation models").
    register(repConv(paperModel("repconv_300m", BlockTables.GHOSTNET_V1, 1.45, 0)));
    register(paperModel("ghostnet_600m", BlockTables.PARAMETERNET_600M, 1.9, 0));
    register(paperModel("parameternet_600m", BlockTables.PARAMETERNET_600M, 1.9, 4));

    // CPU-scale variants for local runs and the demo studies: same blocks, narrow and small
    // inputs; with the ablations' experts 2 and 8 (Table 4) and RepConv (Table 6).
    register(smallModel("ghostnet_small_64", BlockTables.GHOSTNET_V1, 64, 0, 960, 1280));
    register(smallModel("parameternet_small_64", BlockTables.GHOSTNET_V1, 64, 4, 960, 1280));
    register(smallModel("parameternet_small_64_e2", BlockTables.GHOSTNET_V1, 64, 2, 960, 1280));
    register(smallModel("parameternet_small_64_e8", BlockTables.GHOSTNET_V1, 64, 8, 960, 1280));
    register(repConv(smallModel("repconv_small_64", BlockTables.GHOSTNET_V1, 64, 0, 960, 1280)));
    register(smallModel("ghostnet_micro_32", BlockTables.GHOSTNET_MICRO, 32, 0, 480, 256));
    register(smallModel("parameternet_micro_32", BlockTables.GHOSTNET_MICRO, 32, 4, 480, 256));
    register(smallModel("parameternet_micro_32_e2", BlockTables.GHOSTNET_MICRO, 32, 2, 480, 256));
    register(smallModel("parameternet_micro_32_e8", BlockTables.GHOSTNET_MICRO, 32, 8, 480, 256));
    register(repConv(smallModel("repconv_micro_32", BlockTables.GHOSTNET_MICRO, 32, 0, 480, 256)));
  }

  private ModelRegistry() {}

  private static ModelSpec paperModel(
      String name, List<BlockRow> table, double width, int experts) {
    return ModelSpec.builder(name, table)
        .width(width)
        .dynamic(experts, ConvRole.PARAMETERNET_DYNAMIC)
        .build();
  }

  private static ModelSpec smallModel(
      String name, List<BlockRow> table, int resolution, int experts, int features, int head) {
    return ModelSpec.builder(name, table)
        .width(0.5)
        .dynamic(experts, ConvRole.PARAMETERNET_DYNAMIC)
        .resolution(resolution)
        .widths(16, features, head)
        .build();
  }

  /** {@code base} (a static spec) with RepConv's branches where ParameterNet has dynamic convs. */
  private static ModelSpec repConv(ModelSpec base) {
    return base.toBuilder()
        .reparameterised(REPCONV_BRANCHES, ConvRole.PARAMETERNET_DYNAMIC)
        .build();
  }

  private static void register(ModelSpec spec) {
    VARIANTS.put(spec.name(), spec);
  }

  /** The spec registered under {@code name}, at its native resolution and 1000 classes. */
  public static ModelSpec get(String name) {
    ModelSpec spec = VARIANTS.get(name);
    if (spec == null) {
      throw new IllegalArgumentException(
          "unknown model '" + name + "'; known models: " + String.join(", ", VARIANTS.keySet()));
    }
    return spec;
  }

  public static Set<String> names() {
    return Collections.unmodifiableSet(VARIANTS.keySet());
  }
}
