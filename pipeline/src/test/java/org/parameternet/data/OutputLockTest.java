package org.parameternet.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two processes, one lock: the second is refused; after a SIGKILL the lock is taken over; a lease
 * is renewed while its owner runs, and only a lapsed one is taken from another machine.
 */
public class OutputLockTest {
  @TempDir java.nio.file.Path dir;

  @Test
  void aSecondProcessIsRefusedUntilTheHolderIsKilled() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Path lock = new Path(dir.resolve("out/.pnet-test.lock").toUri());
    Process holder = holdInAnotherProcess(lock);
    try {
      IllegalStateException refused =
          assertThrows(
              IllegalStateException.class, () -> OutputLock.acquire(fs, lock, "the output"));
      assertTrue(refused.getMessage().contains("pid=" + holder.pid()), refused.getMessage());

      holder.destroyForcibly().waitFor(); // SIGKILL: the holder never releases the lock
      assertTrue(fs.exists(lock), "a killed holder leaves its lock file");
      try (OutputLock taken = OutputLock.acquire(fs, lock, "the output")) {
        assertTrue(
            Files.readString(dir.resolve("out/.pnet-test.lock"))
                .contains("pid=" + ProcessHandle.current().pid()));
      }
      assertFalse(fs.exists(lock), "released on close");
    } finally {
      holder.destroyForcibly();
    }
  }

  /** A file at the lock's path that is not a lock record is a user's: refused, never deleted. */
  @Test
  void aFileThatIsNotALockRecordIsNeverTakenOver() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    java.nio.file.Path file = dir.resolve(".pnet-foreign.lock");
    Files.writeString(file, "my notes, pid=1\n");
    IllegalStateException refused =
        assertThrows(
            IllegalStateException.class,
            () -> OutputLock.acquire(fs, new Path(file.toUri()), "the output"));
    assertTrue(refused.getMessage().contains("in use"), refused.getMessage());
    assertEquals("my notes, pid=1\n", Files.readString(file));
  }

  /** Closing deletes the lock only while it is still this process's: never another owner's. */
  @Test
  void closeLeavesALockFileThatAnotherOwnerNowHolds() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    java.nio.file.Path file = dir.resolve(".pnet-test.lock");
    OutputLock lock = OutputLock.acquire(fs, new Path(file.toUri()), "the output");
    String theirs = "host=some-other-host pid=1 started=2026-01-01T00:00:00Z\n";
    Files.writeString(file, theirs);
    lock.close();
    assertTrue(Files.exists(file), "another owner's lock survives our close");
    assertTrue(Files.readString(file).equals(theirs));
  }

  @Test
  void aLockFromAnotherHostIsNeverTakenOver() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    java.nio.file.Path file = dir.resolve(".pnet-test.lock");
    Files.writeString(file, "host=some-other-host pid=1 started=2026-01-01T00:00:00Z\n");
    Path lock = new Path(file.toUri());
    IllegalStateException refused =
        assertThrows(IllegalStateException.class, () -> OutputLock.acquire(fs, lock, "the output"));
    assertTrue(refused.getMessage().contains("some-other-host"), refused.getMessage());
    assertTrue(Files.exists(file));
  }

  /**
   * Containers with one host name (host networking, cloned VMs) cannot see each other's processes:
   * a live lease written under our host name by a pid this machine does not have is refused, not
   * taken over as a dead process's.
   */
  @Test
  void aLiveLeaseFromAnotherMachineWithOurHostNameIsRefused() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    java.nio.file.Path file = dir.resolve(".pnet-test.lock");
    String theirs = foreignRecord(Instant.now());
    Files.writeString(file, theirs);
    IllegalStateException refused =
        assertThrows(
            IllegalStateException.class,
            () -> OutputLock.acquire(fs, new Path(file.toUri()), "the output"));
    assertTrue(refused.getMessage().contains("lease lapses"), refused.getMessage());
    assertEquals(theirs, Files.readString(file));
  }

  /** A lease its owner stopped renewing lapses, wherever the owner ran. */
  @Test
  void aLapsedLeaseIsTakenOver() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    java.nio.file.Path file = dir.resolve(".pnet-test.lock");
    Files.writeString(file, foreignRecord(Instant.now().minus(OutputLock.LEASE).minusSeconds(1)));
    try (OutputLock taken = OutputLock.acquire(fs, new Path(file.toUri()), "the output")) {
      assertTrue(Files.readString(file).contains("pid=" + ProcessHandle.current().pid()));
    }
  }

  /** A live owner keeps its lease past the lease period by renewing it. */
  @Test
  void aRunningOwnerRenewsItsLease() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    Path lock = new Path(dir.resolve("out/.pnet-test.lock").toUri());
    java.nio.file.Path file = dir.resolve("out/.pnet-test.lock");
    Process holder = holdInAnotherProcess(lock, 1500, 200);
    try {
      String first = Files.readString(file);
      Thread.sleep(2500);
      assertNotEquals(first, Files.readString(file), "the owner rewrote its lease");
      assertThrows(
          IllegalStateException.class,
          () ->
              OutputLock.acquire(
                  fs, lock, "the output", Duration.ofMillis(1500), Duration.ofMillis(200)));
    } finally {
      holder.destroyForcibly().waitFor();
    }
  }

  /** Our host name, a pid and PID namespace of another machine, renewed at {@code renewed}. */
  private static String foreignRecord(Instant renewed) {
    return "host="
        + LockRecord.hostName()
        + " pid=4194304000 started=2026-01-01T00:00:00Z machine=another-boot-id/4026531836"
        + " token=theirs renewed="
        + renewed
        + "\n";
  }

  /** A child JVM holding {@code lock} until it is killed; returns once the lock is taken. */
  public static Process holdInAnotherProcess(Path lock) throws IOException {
    return holdInAnotherProcess(
        lock, OutputLock.LEASE.toMillis(), OutputLock.RENEW_EVERY.toMillis());
  }

  static Process holdInAnotherProcess(Path lock, long leaseMillis, long renewMillis)
      throws IOException {
    Process holder =
        new ProcessBuilder(
                List.of(
                    ProcessHandle.current().info().command().orElse("java"),
                    "-cp",
                    System.getProperty("java.class.path"),
                    LockHolder.class.getName(),
                    lock.toString(),
                    Long.toString(leaseMillis),
                    Long.toString(renewMillis)))
            .redirectErrorStream(true)
            .start();
    BufferedReader out =
        new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null && !line.equals("locked")) {
      // the child's log lines, if any
    }
    if (line == null) {
      throw new IllegalStateException("the lock holder exited before taking " + lock);
    }
    return holder;
  }

  /** Takes the lock named by its argument, says so, and holds it until killed. */
  public static final class LockHolder {
    public static void main(String[] args) throws Exception {
      FileSystem fs = FileSystem.getLocal(new Configuration());
      OutputLock.acquire(
          fs,
          new Path(args[0]),
          "test",
          Duration.ofMillis(Long.parseLong(args[1])),
          Duration.ofMillis(Long.parseLong(args[2])));
      System.out.println("locked");
      System.out.flush();
      Thread.sleep(600_000);
    }
  }
}
