package org.parameternet.model;

import java.util.List;

/** The block tables (docs/architecture.md, "Block tables"). */
public final class BlockTables {
  private BlockTables() {}

  /** GhostNet v1 (CVPR'20 Table 1); at width 1.45 it gives the paper's 300M models. */
  public static final List<BlockRow> GHOSTNET_V1 =
      List.of(
          new BlockRow(1, 3, 16, 16, 0, 1),
          new BlockRow(2, 3, 48, 24, 0, 2),
          new BlockRow(3, 3, 72, 24, 0, 1),
          new BlockRow(4, 5, 72, 40, 0.25, 2),
          new BlockRow(5, 5, 120, 40, 0.25, 1),
          new BlockRow(6, 3, 240, 80, 0, 2),
          new BlockRow(7, 3, 200, 80, 0, 1),
          new BlockRow(7, 3, 184, 80, 0, 1),
          new BlockRow(7, 3, 184, 80, 0, 1),
          new BlockRow(7, 3, 480, 112, 0.25, 1),
          new BlockRow(7, 3, 672, 112, 0.25, 1),
          new BlockRow(8, 5, 672, 160, 0.25, 2),
          new BlockRow(9, 5, 960, 160, 0, 1),
          new BlockRow(9, 5, 960, 160, 0.25, 1),
          new BlockRow(9, 5, 960, 160, 0, 1),
          new BlockRow(9, 5, 960, 160, 0.25, 1));

  /** The released parameternet_600m table; at width 1.9 it gives the paper's 600M models. */
  public static final List<BlockRow> PARAMETERNET_600M =
      List.of(
          new BlockRow(1, 3, 16, 16, 0, 1),
          new BlockRow(2, 3, 48, 24, 0, 2),
          new BlockRow(3, 3, 72, 24, 0, 1),
          new BlockRow(4, 5, 72, 40, 0.25, 2),
          new BlockRow(5, 3, 120, 40, 0.25, 1),
          new BlockRow(5, 3, 120, 40, 0.25, 1),
          new BlockRow(6, 3, 240, 80, 0, 2),
          new BlockRow(7, 3, 200, 80, 0, 1),
          new BlockRow(7, 3, 200, 80, 0, 1),
          new BlockRow(7, 3, 200, 80, 0, 1),
          new BlockRow(7, 3, 480, 112, 0.25, 1),
          new BlockRow(7, 3, 672, 112, 0.25, 1),
          new BlockRow(7, 3, 672, 112, 0.25, 1),
          new BlockRow(8, 5, 672, 160, 0.25, 2),
          new BlockRow(9, 3, 960, 160, 0.25, 1),
          new BlockRow(9, 3, 960, 160, 0.25, 1),
          new BlockRow(9, 3, 960, 160, 0.25, 1),
          new BlockRow(9, 3, 960, 160, 0.25, 1),
          new BlockRow(9, 3, 960, 160, 0.25, 1));

  /**
   * A shortened v1 table for CPU-scale runs at 32x32: three stride-2 stages after the stem, so a
   * 32x32 input ends at 2x2, with SE kept in the late blocks.
   */
  public static final List<BlockRow> GHOSTNET_MICRO =
      List.of(
          new BlockRow(1, 3, 16, 16, 0, 1),
          new BlockRow(2, 3, 48, 24, 0, 2),
          new BlockRow(3, 3, 72, 24, 0, 1),
          new BlockRow(4, 5, 72, 40, 0.25, 2),
          new BlockRow(5, 5, 120, 40, 0.25, 1),
          new BlockRow(6, 3, 240, 80, 0, 2),
          new BlockRow(7, 3, 200, 80, 0.25, 1));
}
