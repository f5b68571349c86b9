package org.parameternet.data.shards;

import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * Rows {@code [from, to)} of a seeded permutation of one row group: one training minibatch's worth
 * of images. It travels through Spark as a URI string ({@code <file>#rg=..} fragment), so
 * Deeplearning4j's path-based training can hand it to a loader on the executor.
 *
 * @param group the row group
 * @param permutationSeed seed of the permutation of the group's rows (fresh per epoch)
 * @param from first permuted position, inclusive
 * @param to last permuted position, exclusive
 */
public record ShardSlice(RowGroup group, long permutationSeed, int from, int to)
    implements Serializable {

  public ShardSlice {
    if (from < 0 || to <= from || to > group.rows()) {
      throw new IllegalArgumentException(
          "slice [" + from + ", " + to + ") outside row group of " + group.rows() + " rows");
    }
  }

  public int size() {
    return to - from;
  }

  public String toDescriptor() {
    return group.file()
        + "#rg="
        + group.index()
        + ",rows="
        + group.rows()
        + ",seed="
        + permutationSeed
        + ",from="
        + from
        + ",to="
        + to;
  }

  public static ShardSlice parse(String descriptor) {
    try {
      URI uri = new URI(descriptor);
      String fragment = uri.getRawFragment();
      if (fragment == null) {
        throw new IllegalArgumentException("no slice fragment in " + descriptor);
      }
      String file = descriptor.substring(0, descriptor.lastIndexOf('#'));
      long[] v = new long[5];
      String[] names = {"rg", "rows", "seed", "from", "to"};
      String[] parts = fragment.split(",");
      if (parts.length != names.length) {
        throw new IllegalArgumentException("bad slice fragment in " + descriptor);
      }
      for (int i = 0; i < names.length; i++) {
        String[] kv = parts[i].split("=", 2);
        if (kv.length != 2 || !kv[0].equals(names[i])) {
          throw new IllegalArgumentException("expected " + names[i] + "= in " + descriptor);
        }
        v[i] = Long.parseLong(kv[1]);
      }
      return new ShardSlice(new RowGroup(file, (int) v[0], v[1]), v[2], (int) v[3], (int) v[4]);
    } catch (URISyntaxException | NumberFormatException e) {
      throw new IllegalArgumentException("bad slice descriptor " + descriptor + ": " + e, e);
    }
  }
}
