package org.parameternet.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.parameternet.spark.ExecutorPaths;
import org.parameternet.train.MetricsLog;

/**
 * A real Spark standalone cluster on 127.0.0.1 (a Master and two Workers as separate JVMs, each
 * Worker launching its own executor JVM), started from the Maven-resolved Spark jars: the shaded
 * jar is submitted with SparkSubmit to synthesize, ingest and pretrain, and survives (or resumes
 * after) an executor killed in the middle of training. Spark RPC authentication is on, as in
 * docker/compose.yaml.
 */
class StandaloneClusterIT {
  @TempDir static Path dir;
  static Path sparkHome;
  static Map<String, String> env;
  static Process master;
  static final List<Process> workers = new ArrayList<>();
  static String masterUrl;
  static String train;
  static String val;

  /** RPC authentication on, as docker/compose.yaml runs the cluster. */
  static final String SECRET = UUID.randomUUID().toString();

  @BeforeAll
  static void startClusterAndIngest() throws Exception {
    sparkHome = dir.resolve("spark-home");
    Path jars = Files.createDirectories(sparkHome.resolve("jars"));
    for (String jar : SparkSubmitter.sparkJars()) {
      Path source = Path.of(jar);
      Files.createSymbolicLink(jars.resolve(source.getFileName()), source.toAbsolutePath());
    }
    env =
        Map.of(
            "SPARK_HOME", sparkHome.toString(),
            "SPARK_LOCAL_IP", "127.0.0.1",
            "SPARK_SCALA_VERSION", "2.12",
            // every JVM that loads OpenMP prints its settings: the wait policy is checked below
            "OMP_DISPLAY_ENV", "VERBOSE");
    int port = freePort();
    masterUrl = "spark://127.0.0.1:" + port;
    master =
        daemon(
            "master",
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            String.valueOf(port),
            "--webui-port",
            String.valueOf(freePort()));
    awaitLog("master", "I have been elected leader");
    for (int i = 0; i < 2; i++) {
      workers.add(
          daemon(
              "worker" + i,
              "org.apache.spark.deploy.worker.Worker",
              "--host",
              "127.0.0.1",
              "--webui-port",
              String.valueOf(freePort()),
              "--cores",
              "1",
              "--memory",
              "2g",
              "--work-dir",
              Files.createDirectories(dir.resolve("work" + i)).toString(),
              masterUrl));
      awaitLog("worker" + i, "Successfully registered with master");
    }

    String synth = dir.resolve("synth").toUri().toString();
    submitOk(
        "synth",
        "--out",
        synth,
        "--classes-22k",
        "8",
        "--classes-1k",
        "4",
        "--min-per-class",
        "3",
        "--max-per-class",
        "5",
        "--train-per-class",
        "40",
        "--val-per-class",
        "8",
        "--size",
        "40");
    train = dir.resolve("train").toUri().toString();
    val = dir.resolve("val").toUri().toString();
    submitOk(
        "ingest",
        "--source",
        synth + "/in1k/ILSVRC2012_img_train.tar",
        "--format",
        "in1k-train",
        "--out",
        train,
        "--resize",
        "36");
    submitOk(
        "ingest",
        "--source",
        synth + "/in1k/val",
        "--format",
        "in1k-val",
        "--out",
        val,
        "--resize",
        "36");
  }

  @AfterAll
  static void stopCluster() throws InterruptedException {
    List<ProcessHandle> all = new ArrayList<>();
    for (Process w : workers) {
      w.descendants().forEach(all::add);
      all.add(w.toHandle());
    }
    if (master != null) {
      all.add(master.toHandle());
    }
    all.forEach(ProcessHandle::destroy);
    for (ProcessHandle h : all) {
      try {
        h.onExit().get(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        h.destroyForcibly();
      }
    }
  }

  /**
   * On a real cluster a file:// output is each executor's own disk: ingest refuses it before any
   * work unless the user declares the path shared, and creates nothing.
   */
  @Test
  void refusesALocalOutputOnAClusterUnlessDeclaredShared() throws Exception {
    Path out = dir.resolve("unshared-out");
    SparkSubmitter.Result r =
        submit(
            SparkSubmitter.command(
                masterUrl,
                unsharedClusterConfs(),
                "ingest",
                "--source",
                dir.resolve("synth").toUri() + "/in1k/val",
                "--format",
                "in1k-val",
                "--out",
                out.toUri().toString()));
    assertEquals(2, r.exitCode(), r.text());
    assertTrue(r.text().contains(ExecutorPaths.SHARED_LOCAL_PATHS + "=true"), r.text());
    assertTrue(r.text().contains("the ingest output"), r.text());
    assertFalse(Files.exists(out), "nothing may be created");
  }

  @Test
  void pretrainsFromShardsOnTheCluster() throws Exception {
    String out = dir.resolve("run").toUri().toString();
    SparkSubmitter.Result r = submit(pretrain(out, 2, false));
    assertEquals(0, r.exitCode(), r.text());
    String summary =
        r.lines().stream().filter(l -> l.startsWith("pretrain ")).findFirst().orElse("");
    assertTrue(summary.startsWith("pretrain ghostnet_micro_32: "), r.text());
    assertTrue(Files.isDirectory(dir.resolve("run/checkpoints")), r.text());
    assertTrue(r.text().contains("val top-1"), r.text());
    assertTrue(r.error().contains(OPENMP_SLEEPS), "the driver's OpenMP sleeps:\n" + r.error());
    List<Path> executors = openMpExecutorLogs();
    assertFalse(executors.isEmpty(), "executors loaded OpenMP");
    for (Path log : executors) {
      assertTrue(Files.readString(log).contains(OPENMP_SLEEPS), log + ": " + Files.readString(log));
    }
  }

  /** libgomp's own settings with OMP_WAIT_POLICY=PASSIVE (NativeThreads, SparkDefaults). */
  private static final String OPENMP_SLEEPS = "GOMP_SPINCOUNT = '0'";

  /** The stderr files of the executors that loaded OpenMP (printed its settings). */
  private static List<Path> openMpExecutorLogs() throws IOException {
    List<Path> logs = new ArrayList<>();
    for (int i = 0; i < workers.size(); i++) {
      try (var files = Files.walk(dir.resolve("work" + i))) {
        for (Path f : files.filter(f -> f.getFileName().toString().equals("stderr")).toList()) {
          if (Files.readString(f).contains("GOMP_SPINCOUNT")) {
            logs.add(f);
          }
        }
      }
    }
    return logs;
  }

  /**
   * An executor JVM killed while training: Spark retries the round's lost task on the Worker's
   * replacement executor and the job completes, or it fails and {@code --resume} completes it.
   * Either way the run ends at its last epoch with one metrics line per step.
   */
  @Test
  void survivesAnExecutorKilledMidTraining() throws Exception {
    String out = dir.resolve("killed").toUri().toString();
    File log = File.createTempFile("killed", ".out");
    Process driver = SparkSubmitter.start(pretrain(out, 3, false), log, env);
    Path rounds = dir.resolve("killed/metrics");
    long deadline = System.currentTimeMillis() + 300_000;
    // Training has started when the driver's progress line or a round record appears.
    while (!trainingStarted(log.toPath(), rounds)
        && System.currentTimeMillis() < deadline
        && driver.isAlive()) {
      Thread.sleep(200);
    }
    assertTrue(
        trainingStarted(log.toPath(), rounds),
        "training never got going: " + Files.readString(log.toPath()));
    Optional<ProcessHandle> executor = Optional.empty();
    while (executor.isEmpty() && driver.isAlive() && System.currentTimeMillis() < deadline) {
      executor =
          workers.stream()
              .flatMap(Process::descendants)
              .filter(
                  h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
              .findFirst();
      if (executor.isEmpty()) {
        Thread.sleep(100);
      }
    }
    assertTrue(executor.isPresent(), "an executor to kill while the driver runs");
    executor.get().destroyForcibly();
    SparkSubmitter.Result first = SparkSubmitter.finish(driver, log, 10);
    String outcome = "survived";
    if (first.exitCode() != 0) {
      outcome = "resumed";
      SparkSubmitter.Result resumed = submit(pretrain(out, 3, true));
      assertEquals(0, resumed.exitCode(), resumed.text());
    }
    System.out.println("executor kill: the run " + outcome);
    String state =
        Files.readString(latestCheckpoint(dir.resolve("killed/checkpoints")).resolve("state.json"));
    assertTrue(state.replace(" ", "").contains("\"epoch\":3"), state);
    // A task re-run after the kill reports its worker's steps again: each step still counts each
    // of the 2 workers once, and appears once.
    List<Map<String, Object>> steps =
        MetricsLog.read(
            FileSystem.getLocal(new Configuration()),
            new org.apache.hadoop.fs.Path(out),
            MetricsLog.Kind.STEPS);
    assertFalse(steps.isEmpty());
    for (int i = 0; i < steps.size(); i++) {
      assertEquals(i + 1, ((Number) steps.get(i).get("iteration")).intValue(), "step " + (i + 1));
      int workers = ((Number) steps.get(i).get("workers")).intValue();
      assertTrue(
          workers >= 1 && workers <= 2, "step " + (i + 1) + " counted " + workers + " workers");
    }
  }

  /**
   * The compose file's one-shot service runs {@code pnet demo} against the cluster; here the same
   * command, shortened to one model and one epoch per stage.
   */
  @Test
  void runsTheDemoStudyAsTheComposeServiceDoes() throws Exception {
    String out = dir.resolve("demo").toUri().toString();
    SparkSubmitter.Result r =
        submit(
            SparkSubmitter.command(
                masterUrl,
                clusterConfs(),
                "demo",
                "--out",
                out,
                "--config",
                "../conf/studies/demo.conf",
                "--set",
                "models=[ghostnet_micro_32]",
                "--set",
                "scratch.epochs=1",
                "--set",
                "scratch.schedule.warmup-epochs=0",
                "--set",
                "pretrain.epochs=1",
                "--set",
                "pretrain.schedule.warmup-epochs=0",
                "--set",
                "finetune.epochs=1",
                "--set",
                "evaluate.latency-runs=3"));
    assertEquals(0, r.exitCode(), r.text());
    assertTrue(r.text().contains("| ghostnet_micro_32 |"), r.text());
    assertTrue(r.text().contains("22k-like → 1k-like"), r.text());
    for (String f : List.of("report/report.md", "report/report.html", "results/results.csv")) {
      assertTrue(Files.size(dir.resolve("demo").resolve(f)) > 0, f);
    }
  }

  private static List<String> pretrain(String out, int epochs, boolean resume) throws IOException {
    Path conf = dir.resolve("cluster-" + epochs + (resume ? "-resume" : "") + ".conf");
    Files.writeString(
        conf,
        String.join(
            "\n",
            "train {",
            "  model = ghostnet_micro_32",
            "  data { path = \"" + train + "\", val-path = \"" + val + "\" }",
            "  out = \"" + out + "\"",
            "  epochs = " + epochs,
            "  workers = 2",
            "  batch-per-worker = 8",
            "  averaging-frequency = 2",
            "  optimizer.lr = 0.005",
            "  schedule.warmup-epochs = 1",
            "  augment { rand-augment = \"\", random-erasing = 0 }",
            "  ema-decay = 0.99",
            "}"));
    List<String> args = new ArrayList<>(List.of("pretrain", "--config", conf.toString()));
    if (resume) {
      args.add("--resume");
    }
    return SparkSubmitter.command(masterUrl, clusterConfs(), args.toArray(String[]::new));
  }

  /** The cluster runs on this machine: its file:// paths are one disk for every node. */
  private static List<String> clusterConfs() {
    List<String> confs = new ArrayList<>(unsharedClusterConfs());
    confs.add(ExecutorPaths.SHARED_LOCAL_PATHS + "=true");
    return confs;
  }

  private static List<String> unsharedClusterConfs() {
    return List.of(
        "spark.executor.memory=2g",
        "spark.executor.cores=1",
        "spark.cores.max=2",
        "spark.task.maxFailures=4",
        "spark.authenticate=true",
        "spark.authenticate.secret=" + SECRET,
        "spark.executorEnv.OMP_NUM_THREADS=1",
        "spark.executor.extraJavaOptions=" + SparkSubmitter.javaFlags());
  }

  private static SparkSubmitter.Result submit(List<String> command) throws Exception {
    return SparkSubmitter.run(command, env);
  }

  private static void submitOk(String... args) throws Exception {
    SparkSubmitter.Result r = submit(SparkSubmitter.command(masterUrl, clusterConfs(), args));
    assertEquals(0, r.exitCode(), r.text());
  }

  private static boolean trainingStarted(Path driverLog, Path metrics) throws IOException {
    return roundsLogged(metrics) >= 1
        || Pattern.compile("\\b[1-9]\\d*/\\d+ steps \\(")
            .matcher(Files.readString(driverLog))
            .find();
  }

  private static long roundsLogged(Path metrics) throws IOException {
    if (!Files.isDirectory(metrics)) {
      return 0;
    }
    try (var files = Files.list(metrics)) {
      long n = 0;
      for (Path p : files.filter(f -> f.getFileName().toString().startsWith("rounds-")).toList()) {
        n += Files.readAllLines(p).size();
      }
      return n;
    }
  }

  private static Path latestCheckpoint(Path checkpoints) throws IOException {
    try (var files = Files.list(checkpoints)) {
      return files
          .filter(f -> f.getFileName().toString().startsWith("step-"))
          .sorted()
          .reduce((a, b) -> b)
          .orElseThrow();
    }
  }

  private static Process daemon(String name, String mainClass, String... args) throws IOException {
    List<String> command = SparkSubmitter.javaWithFlags();
    command.addAll(
        List.of(
            "-Xmx512m",
            "-Dspark.authenticate=true",
            "-Dspark.authenticate.secret=" + SECRET,
            "-cp",
            sparkHome.resolve("jars") + "/*",
            mainClass));
    command.addAll(List.of(args));
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + ".log").toFile());
    builder.environment().putAll(env);
    return builder.start();
  }

  private static void awaitLog(String name, String line) throws Exception {
    Path log = dir.resolve(name + ".log");
    long deadline = System.currentTimeMillis() + 90_000;
    while (System.currentTimeMillis() < deadline) {
      if (Files.exists(log) && Files.readString(log, StandardCharsets.UTF_8).contains(line)) {
        return;
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(name + " did not log '" + line + "':\n" + log(name));
  }

  private static String log(String name) {
    try {
      return Files.readString(dir.resolve(name + ".log"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no " + name + " log)";
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return s.getLocalPort();
    }
  }
}
