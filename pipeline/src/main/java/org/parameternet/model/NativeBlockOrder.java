package org.parameternet.model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.deeplearning4j.nn.conf.ComputationGraphConfiguration;
import org.deeplearning4j.nn.conf.graph.LayerVertex;
import org.deeplearning4j.nn.graph.ComputationGraph;
import org.parameternet.model.layers.NativeBottleneck;

/**
 * Gives a graph with {@link NativeBottleneck} layers the parameter order of the same network played
 * op by op. DL4J lays a graph's flat parameter vector out in its topological order, which Kahn's
 * algorithm over hash sets of vertex indices decides: removing a block's vertices renumbers the
 * rest and can swap the two branches of a later conv-shortcut block. The order the unfused graph
 * gets, with each native block's vertices collapsed into the block, is stored in the configuration
 * (DL4J uses a stored order as is, and serialises it), and the order of each block's own vertices
 * in it (the shortcut's interleave with the main path's) in the block ({@link
 * NativeBottleneck#setLayerOrder}), so checkpoints, updater state and averaged parameters line up
 * between the two forms.
 */
final class NativeBlockOrder {
  private NativeBlockOrder() {}

  /** Stores in {@code fused} the topological order of {@code unfused}, native blocks collapsed. */
  static void follow(ComputationGraphConfiguration fused, ComputationGraphConfiguration unfused) {
    Map<String, NativeBottleneck> blocks = new HashMap<>();
    fused
        .getVertices()
        .forEach(
            (name, vertex) -> {
              if (vertex instanceof LayerVertex layer
                  && layer.getLayerConf().getLayer() instanceof NativeBottleneck block) {
                blocks.put(name, block);
              }
            });
    if (blocks.isEmpty()) {
      return;
    }
    List<String> order = new ArrayList<>();
    Set<String> placed = new HashSet<>();
    Map<String, List<String>> inside = new HashMap<>();
    for (String vertex : unfusedOrder(unfused)) {
      String name = blockOf(vertex, blocks.keySet());
      if (placed.add(name)) {
        order.add(name);
      }
      if (!name.equals(vertex)) {
        inside
            .computeIfAbsent(name, b -> new ArrayList<>())
            .add(vertex.substring(name.length() + 1));
      }
    }
    inside.forEach((name, layers) -> blocks.get(name).setLayerOrder(layers));
    int vertices = fused.getVertices().size() + fused.getNetworkInputs().size();
    if (order.size() != vertices) {
      throw new IllegalStateException(
          "native blocks: " + order.size() + " vertices in order, " + vertices + " in the graph");
    }
    int[] indices = new int[order.size()];
    for (int i = 0; i < indices.length; i++) {
      indices[i] = i;
    }
    fused.setTopologicalOrder(indices);
    fused.setTopologicalOrderStr(order);
  }

  private static List<String> unfusedOrder(ComputationGraphConfiguration unfused) {
    new ComputationGraph(unfused).calculateIndices(); // stores the order in the configuration
    return unfused.getTopologicalOrderStr();
  }

  /**
   * The native block {@code vertex} belongs to ({@code b3} for {@code b3_ghost1_...}), or itself.
   */
  private static String blockOf(String vertex, Set<String> blocks) {
    int end = vertex.indexOf('_');
    String block = end < 0 ? vertex : vertex.substring(0, end);
    return blocks.contains(block) ? block : vertex;
  }
}
