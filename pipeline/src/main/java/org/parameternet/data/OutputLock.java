package org.parameternet.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An exclusive lock on an output directory, held as a file created only if absent. It records its
 * owner (host, process id, the process's start time); a lock whose owner ran on this host and is
 * gone (or whose pid now belongs to another process) is stale and taken over. A lock held from
 * another host is never taken: its owner cannot be checked from here.
 */
public final class OutputLock implements AutoCloseable {
  private final FileSystem fs;
  private final Path file;
  private final String owner;

  private OutputLock(FileSystem fs, Path file, String owner) {
    this.fs = fs;
    this.file = file;
    this.owner = owner;
  }

  /** Takes the lock {@code file}, or throws naming who holds it. {@code what} names the output. */
  public static OutputLock acquire(FileSystem fs, Path file, String what) throws IOException {
    String me = thisProcess();
    for (int attempt = 0; attempt < 2; attempt++) {
      if (create(fs, file, me)) {
        return new OutputLock(fs, file, me);
      }
      String holder = read(fs, file);
      if (holder == null || !isStale(holder)) {
        throw new IllegalStateException(
            what
                + " is in use by another pnet process ("
                + (holder == null ? "unreadable lock" : holder.strip())
                + "; lock file "
                + file
                + "). Wait for it to finish; if that process is certainly gone, delete the lock"
                + " file.");
      }
      // A lock record (host, pid, start) whose owner on this host is gone: take it over. Anything
      // else at this path (a file that does not parse as a record, one from another host, one
      // whose process runs) was refused above and stays. Read again just before the delete: a
      // process taking the same stale lock over may have replaced it with its own live record.
      // This narrows the race to the few calls between that read and the delete, and does not
      // close it: two processes that both found the same stale lock at that instant can still
      // both proceed. A FileSystem without an atomic compare-and-delete cannot do better here.
      if (holder.equals(read(fs, file))) {
        fs.delete(file, false);
      }
    }
    throw new IllegalStateException("could not take the lock " + file + " for " + what);
  }

  @Override
  public void close() throws IOException {
    // Deleted only while it still holds this process's own record (host, pid and start time):
    // never a lock another process took over, nor a file someone else put at this path.
    if (owner.equals(read(fs, file))) {
      fs.delete(file, false);
    }
  }

  /** Exclusive create: the OS's create-new for local files, the FileSystem's otherwise. */
  private static boolean create(FileSystem fs, Path file, String content) throws IOException {
    byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
    fs.mkdirs(file.getParent());
    if ("file".equals(fs.makeQualified(file).toUri().getScheme())) {
      try (OutputStream out =
          Files.newOutputStream(
              Paths.get(fs.makeQualified(file).toUri()), StandardOpenOption.CREATE_NEW)) {
        out.write(bytes);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      }
    }
    try (OutputStream out = fs.create(file, false)) {
      out.write(bytes);
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    }
  }

  private static String read(FileSystem fs, Path file) throws IOException {
    try (InputStream in = fs.open(file)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (java.io.FileNotFoundException e) {
      return null;
    }
  }

  static String thisProcess() {
    ProcessHandle self = ProcessHandle.current();
    return "host="
        + hostName()
        + " pid="
        + self.pid()
        + " started="
        + self.info().startInstant().map(Instant::toString).orElse("?")
        + "\n";
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      // Unresolvable host name: the name the OS reports, never a shared placeholder.
      return java.util.Objects.requireNonNullElse(
          System.getenv("HOSTNAME"), "host-of-pid-" + ProcessHandle.current().pid());
    }
  }

  /** Stale: written on this host by a process that no longer runs (or whose pid was reused). */
  private static boolean isStale(String holder) {
    String host = field(holder, "host");
    if (!hostName().equals(host)) {
      return false;
    }
    long pid;
    try {
      pid = Long.parseLong(field(holder, "pid"));
    } catch (NumberFormatException e) {
      return false; // not a lock this class wrote: leave it to a person
    }
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isEmpty() || !process.get().isAlive()) {
      return true;
    }
    String started = process.get().info().startInstant().map(Instant::toString).orElse("?");
    return !started.equals(field(holder, "started"));
  }

  private static String field(String holder, String name) {
    for (String part : holder.strip().split(" ")) {
      if (part.startsWith(name + "=")) {
        return part.substring(name.length() + 1);
      }
    }
    return "";
  }
}
