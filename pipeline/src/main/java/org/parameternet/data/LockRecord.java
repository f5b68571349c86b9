package org.parameternet.data;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * What an {@link OutputLock} file holds: its owner (host, process id and start time, and the
 * machine: the kernel's boot id and the process's PID namespace), a token unique to the
 * acquisition, and when the owner last renewed it. A process id can be checked only where it was
 * issued, i.e. on the same machine and in the same PID namespace: containers sharing a host name
 * (host networking, Kubernetes {@code hostNetwork}) or cloned VMs have the same host name and
 * cannot see each other's processes. Anywhere else only the lease tells: its owner renews it, and a
 * lease unrenewed for longer than its period has lost its owner.
 *
 * @param machine boot id and PID namespace, empty in records of an earlier pnet
 * @param token this acquisition's, empty in records of an earlier pnet
 * @param renewed the owner's clock at the last renewal, null in records of an earlier pnet
 */
record LockRecord(
    String host, long pid, String started, String machine, String token, Instant renewed) {

  /** A record of this process, renewed now. */
  static LockRecord ofThisProcess() {
    ProcessHandle self = ProcessHandle.current();
    return new LockRecord(
        hostName(),
        self.pid(),
        self.info().startInstant().map(Instant::toString).orElse("?"),
        thisMachine(),
        UUID.randomUUID().toString(),
        Instant.now());
  }

  LockRecord renewedNow() {
    return new LockRecord(host, pid, started, machine, token, Instant.now());
  }

  String text() {
    return String.format(
        "host=%s pid=%d started=%s machine=%s token=%s renewed=%s%n",
        host, pid, started, machine, token, renewed);
  }

  /** The record {@code text} holds, or empty when it is not one (a user's file, a torn write). */
  static Optional<LockRecord> parse(String text) {
    try {
      String renewed = field(text, "renewed");
      return Optional.of(
          new LockRecord(
              field(text, "host"),
              Long.parseLong(field(text, "pid")),
              field(text, "started"),
              field(text, "machine"),
              field(text, "token"),
              renewed.isEmpty() ? null : Instant.parse(renewed)));
    } catch (RuntimeException notARecord) {
      return Optional.empty();
    }
  }

  /**
   * Whether the owner is gone: on this machine (and PID namespace), its process no longer runs; a
   * lease of this pnet that went unrenewed for {@code lease}; a record of an earlier pnet (no
   * lease) whose process on this host is gone, as that pnet judged.
   */
  boolean isStale(Duration lease) {
    if (renewed != null && Instant.now().isAfter(renewed.plus(lease))) {
      return true;
    }
    boolean checkable = renewed == null ? hostName().equals(host) : thisMachine().equals(machine);
    return checkable && !running();
  }

  private boolean running() {
    Optional<ProcessHandle> process = ProcessHandle.of(pid);
    if (process.isEmpty() || !process.get().isAlive()) {
      return false;
    }
    return started.equals(process.get().info().startInstant().map(Instant::toString).orElse("?"));
  }

  private static String field(String text, String name) {
    for (String part : text.strip().split(" ")) {
      if (part.startsWith(name + "=")) {
        return part.substring(name.length() + 1);
      }
    }
    return "";
  }

  /** The kernel's boot id and this process's PID namespace: where a pid means this process. */
  static String thisMachine() {
    String boot;
    String namespace;
    try {
      boot =
          new String(
                  Files.readAllBytes(Paths.get("/proc/sys/kernel/random/boot_id")),
                  StandardCharsets.US_ASCII)
              .strip();
      namespace =
          Files.readSymbolicLink(Paths.get("/proc/self/ns/pid")).toString().replaceAll("\\D", "");
    } catch (IOException | UnsupportedOperationException e) {
      // No /proc (not Linux): a name no other process matches, so only the lease decides
      return "unknown-" + ProcessHandle.current().pid() + "-" + hostName();
    }
    return boot + "/" + namespace;
  }

  static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      // Unresolvable host name: the name the OS reports, never a shared placeholder.
      return Objects.requireNonNullElse(
          System.getenv("HOSTNAME"), "host-of-pid-" + ProcessHandle.current().pid());
    }
  }
}
