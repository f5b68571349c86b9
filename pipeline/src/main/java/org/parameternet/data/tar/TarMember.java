package org.parameternet.data.tar;

import java.io.Serializable;

/**
 * One regular-file entry of a tar: its name as stored (data, never a path to write to), where its
 * bytes start in the archive and how many there are.
 */
public record TarMember(String name, long dataOffset, long size) implements Serializable {

  /** The last path component of the name, with any directories stripped. */
  public String baseName() {
    return baseName(name);
  }

  /**
   * The last component of a stored entry name; an entry name is data, never a path to write to, so
   * "..", "." and empty components become "image".
   */
  public static String baseName(String entry) {
    String last = entry.substring(entry.lastIndexOf('/') + 1);
    return last.isEmpty() || last.equals("..") || last.equals(".") ? "image" : last;
  }
}
