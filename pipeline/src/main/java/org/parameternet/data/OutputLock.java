package org.parameternet.data;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exclusive lock on an output directory, held as a file created only if absent and kept as a
 * lease ({@link LockRecord}): the owner rewrites it every {@link #RENEW_EVERY} with the time, and
 * another process takes it over only when it went unrenewed for {@link #LEASE}, or, on the same
 * machine and in the same PID namespace, when its owner's process is gone (a kill -9). Clocks of
 * the hosts sharing an output must agree to well within the lease, as HDFS and Kerberos already
 * need.
 */
public final class OutputLock implements AutoCloseable {
  /** How long an unrenewed lease holds. */
  public static final Duration LEASE = Duration.ofSeconds(120);

  /** How often the owner renews its lease. */
  public static final Duration RENEW_EVERY = Duration.ofSeconds(15);

  private static final Logger LOG = LoggerFactory.getLogger(OutputLock.class);

  private final FileSystem fs;
  private final Path file;
  private final LockRecord owner;
  private final ScheduledExecutorService renewal;

  private OutputLock(FileSystem fs, Path file, LockRecord owner, Duration renewEvery) {
    this.fs = fs;
    this.file = file;
    this.owner = owner;
    this.renewal =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "pnet-lock-renewal " + file.getName());
              t.setDaemon(true);
              return t;
            });
    long millis = renewEvery.toMillis();
    renewal.scheduleWithFixedDelay(this::renew, millis, millis, TimeUnit.MILLISECONDS);
  }

  /** Takes the lock {@code file}, or throws naming who holds it. {@code what} names the output. */
  public static OutputLock acquire(FileSystem fs, Path file, String what) throws IOException {
    return acquire(fs, file, what, LEASE, RENEW_EVERY);
  }

  /** As {@link #acquire(FileSystem, Path, String)} with a lease of {@code lease} (tests). */
  static OutputLock acquire(
      FileSystem fs, Path file, String what, Duration lease, Duration renewEvery)
      throws IOException {
    LockRecord me = LockRecord.ofThisProcess();
    for (int attempt = 0; attempt < 2; attempt++) {
      if (create(fs, file, me.text())) {
        return new OutputLock(fs, file, me, renewEvery);
      }
      String holder = read(fs, file);
      Optional<LockRecord> record = holder == null ? Optional.empty() : LockRecord.parse(holder);
      if (record.isEmpty() || !record.get().isStale(lease)) {
        throw new IllegalStateException(
            what
                + " is in use by another pnet process ("
                + (holder == null ? "unreadable lock" : holder.strip())
                + "; lock file "
                + file
                + "). Wait for it to finish; its lease lapses "
                + lease.toSeconds()
                + " s after its last renewal if it is gone. Delete the lock file only if that"
                + " process is certainly gone.");
      }
      // A lock record whose owner is gone: take it over. Anything else at this path (a file that
      // does not parse as a record, a live lease) was refused above and stays. Read again just
      // before the delete: a process taking the same stale lock over may have replaced it with
      // its own live record. This narrows the race to the few calls between that read and the
      // delete, and does not close it: two processes that both found the same stale lock at that
      // instant can still both proceed. A FileSystem without an atomic compare-and-delete cannot
      // do better here.
      if (holder.equals(read(fs, file))) {
        fs.delete(file, false);
      }
    }
    throw new IllegalStateException("could not take the lock " + file + " for " + what);
  }

  /** Rewrites the lease with the time, while the file still holds this acquisition's token. */
  private void renew() {
    try {
      String text = read(fs, file);
      Optional<LockRecord> current = text == null ? Optional.empty() : LockRecord.parse(text);
      if (current.isEmpty() || !current.get().token().equals(owner.token())) {
        LOG.error(
            "the lock {} is no longer this process's ({}): another process may write the same"
                + " output",
            file,
            text == null ? "deleted" : text.strip());
        renewal.shutdown();
        return;
      }
      AtomicFile.replace(fs, file, owner.renewedNow().text().getBytes(StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not renew the lock {}: {}", file, e.toString());
    }
  }

  @Override
  public void close() throws IOException {
    renewal.shutdownNow();
    try {
      renewal.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    // Deleted only while it still holds this acquisition's token: never a lock another process
    // took over, nor a file someone else put at this path.
    String text = read(fs, file);
    Optional<LockRecord> current = text == null ? Optional.empty() : LockRecord.parse(text);
    if (current.isPresent() && current.get().token().equals(owner.token())) {
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
    } catch (FileNotFoundException e) {
      return null;
    }
  }
}
