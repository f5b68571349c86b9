package org.parameternet.data.tar;

/**
 * One regular-file entry of a tar: its name as stored (data, never a path to write to), where its
 * bytes start in the archive and how many there are.
 */
public record TarMember(String name, long dataOffset, long size) implements java.io.Serializable {

  /** The last path component of the name, with any directories stripped. */
  public String baseName() {
    int slash = name.lastIndexOf('/');
    return slash < 0 ? name : name.substring(slash + 1);
  }
}
