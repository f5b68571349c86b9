package org.parameternet.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.parameternet.data.image.ImageOptions;
import org.parameternet.ingest.IngestFormat;
import org.parameternet.ingest.IngestOptions;
import org.parameternet.model.onnx.OnnxRuntimeModel;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

class PnetCommandLineTest {

  private record Run(int exitCode, String out, String err) {}

  private static Run run(Config config, String... args) {
    PrintStream originalOut = System.out;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      CommandLine cli = Pnet.commandLine(new ConfigDefaults(config, "test"));
      cli.setErr(new PrintWriter(err, true, StandardCharsets.UTF_8));
      int code = cli.execute(args);
      return new Run(
          code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(originalOut);
    }
  }

  @Test
  void modelsPrintsCsvWithRawCounts() {
    Run r = run(ConfigFactory.empty(), "models", "--format", "csv", "--model", "parameternet_300m");
    assertEquals(0, r.exitCode(), r.err());
    assertEquals(
        "model,experts,branches,params,inference_params,flops,resolution,classes\n"
            + "parameternet_300m,4,1,15737100,15737100,298177073,224,1000\n",
        r.out());
  }

  @Test
  void modelsHonoursResolutionAndClasses() {
    Run r =
        run(
            ConfigFactory.empty(),
            "models",
            "--format=CSV",
            "--resolution",
            "64",
            "--classes",
            "10",
            "--model",
            "ghostnet_micro_32");
    assertEquals(0, r.exitCode(), r.err());
    String[] row = r.out().split("\n")[1].split(",");
    assertEquals("64", row[6]);
    assertEquals("10", row[7]);
  }

  @Test
  void optionDefaultsComeFromTheConfigFile() {
    Config config =
        ConfigFactory.parseMap(Map.of("pnet.models.format", "csv", "pnet.models.classes", "7"));
    Run r = run(config, "models", "--model", "ghostnet_micro_32");
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().startsWith("model,experts,branches,params"), r.out());
    assertTrue(r.out().trim().endsWith(",32,7"), r.out());
  }

  @Test
  void exportWritesAnOnnxModelThatOnnxRuntimeRunsAndNeverReplacesAForeignFile(@TempDir Path dir)
      throws Exception {
    Path onnx = dir.resolve("micro.onnx");
    Run r =
        run(
            ConfigFactory.empty(),
            "export",
            "--model",
            "parameternet_micro_32",
            "--classes",
            "10",
            "--batch",
            "2",
            "--out",
            onnx.toString());
    assertEquals(0, r.exitCode(), r.err());
    assertTrue(r.out().contains("check: ONNX Runtime vs DL4J"), r.out());
    try (OnnxRuntimeModel model = OnnxRuntimeModel.load(Files.readAllBytes(onnx), 1)) {
      INDArray p = model.probabilities(Nd4j.rand(DataType.FLOAT, 2, 3, 32, 32));
      assertArrayEquals(new long[] {2, 10}, p.shape());
      assertEquals(2.0, p.sumNumber().doubleValue(), 1e-4);
    }

    Run again = exportMicro(onnx);
    assertEquals(2, again.exitCode(), "an existing export needs --overwrite");
    assertTrue(again.err().contains("--overwrite"), again.err());
    Run replaced = exportMicro(onnx, "--overwrite");
    assertEquals(0, replaced.exitCode(), replaced.err());

    Path notes = dir.resolve("notes.onnx");
    Files.writeString(notes, "my notes");
    Run foreign = exportMicro(notes, "--overwrite");
    assertEquals(2, foreign.exitCode());
    assertTrue(foreign.err().contains("not replaced"), foreign.err());
    assertEquals("my notes", Files.readString(notes));

    // Another export holding this file's lock (a live lease of another machine): refused, and
    // nothing is written. The lock is what keeps two exports of one file from interleaving.
    Path fresh = dir.resolve("fresh.onnx");
    Path lock = dir.resolve(".fresh.onnx.pnet-export.lock");
    String theirs =
        "host=elsewhere pid=1 started=? machine=elsewhere token=theirs renewed="
            + Instant.now()
            + "\n";
    Files.writeString(lock, theirs);
    Run blocked = exportMicro(fresh);
    assertTrue(blocked.exitCode() != 0, blocked.out());
    assertTrue(blocked.err().contains("in use by another pnet process"), blocked.err());
    assertFalse(Files.exists(fresh));
    assertEquals(theirs, Files.readString(lock));
    // Without another holder the export takes its own lock beside the file and removes it after
    Path other = dir.resolve("other.onnx");
    assertEquals(0, exportMicro(other).exitCode());
    assertFalse(Files.exists(dir.resolve(".other.onnx.pnet-export.lock")), "its own lock is gone");
    assertEquals(theirs, Files.readString(lock), "another's lock is never touched");
  }

  private static Run exportMicro(Path out, String... more) {
    List<String> args =
        new ArrayList<>(List.of("export", "--model", "ghostnet_micro_32", "--out", out.toString()));
    args.addAll(List.of(more));
    return run(ConfigFactory.empty(), args.toArray(String[]::new));
  }

  @Test
  void unknownModelIsNamedWithTheKnownOnes() {
    Run r = run(ConfigFactory.empty(), "models", "--model", "resnet50");
    assertTrue(r.exitCode() != 0);
    assertTrue(r.err().contains("unknown model 'resnet50'"), r.err());
    assertTrue(r.err().contains("parameternet_600m"), r.err());
  }

  /**
   * The shipped conf/pnet.conf is the user's override file: its keys, and those of its commented
   * examples once uncommented, name real options, and none merely repeats the default it overrides.
   */
  @Test
  void shippedConfigNamesOnlyRealOptionsAndRepeatsNoDefault() throws Exception {
    File file = new File("../conf/pnet.conf");
    assertTrue(file.isFile(), "conf/pnet.conf missing");
    String text = Files.readString(file.toPath());
    String examples = text.replaceAll("(?m)^(\\s*)#\\s*([a-z][\\w.-]*\\s*=.*)$", "$1$2");
    Config reference = ConfigFactory.defaultReference();
    for (String variant : List.of(text, examples)) {
      Config config = ConfigFactory.parseString(variant);
      Pnet.commandLine(new ConfigDefaults(config, file.getPath())); // refuses a key of no option
      for (var entry : config.entrySet()) {
        assertTrue(
            !reference.hasPath(entry.getKey()) // an option without a default
                || !reference
                    .getValue(entry.getKey())
                    .unwrapped()
                    .equals(entry.getValue().unwrapped()),
            "conf/pnet.conf: " + entry.getKey() + " repeats its default");
      }
    }
    assertTrue(
        ConfigFactory.parseString(examples).entrySet().size() >= 3,
        "conf/pnet.conf shows commented examples");
  }

  /**
   * Every option's default is declared once, in a reference.conf: no option declares one in its
   * annotation, every reference key outside pnet.train is an option's (none is dead), and the
   * library's own defaults are the command line's.
   */
  @Test
  void everyDefaultIsDeclaredOnceInReferenceConf() {
    CommandLine cli = Pnet.commandLine(new ConfigDefaults(ConfigFactory.empty(), "none"));
    List<OptionSpec> all = ConfigDefaults.options(cli.getCommandSpec());
    Set<String> options = new TreeSet<>();
    all.forEach(o -> options.add(ConfigDefaults.keyOf(o)));
    for (OptionSpec option : all) {
      assertEquals(
          null,
          option.defaultValue(),
          ConfigDefaults.keyOf(option) + " declares its default in its annotation");
    }
    for (var entry : ConfigFactory.defaultReference().getConfig("pnet").entrySet()) {
      if (!entry.getKey().startsWith("train.")) {
        assertTrue(
            options.contains("pnet." + entry.getKey()),
            "reference.conf: pnet." + entry.getKey() + " is no option's default");
      }
    }

    CommandLine parsed = Pnet.commandLine(new ConfigDefaults(ConfigFactory.empty(), "none"));
    parsed.parseArgs("ingest", "--format", "folders", "--source", "/s", "--out", "/o");
    IngestCommand ingest = parsed.getSubcommands().get("ingest").getCommand();
    IngestOptions fromFlags = ingest.options();
    assertEquals(
        IngestOptions.builder(IngestFormat.FOLDERS, "/s", "/o")
            .resize(fromFlags.image().shorterSide())
            .build(),
        fromFlags);
    assertEquals(ImageOptions.DEFAULTS, fromFlags.image());
  }

  /**
   * A user's key that names no option is an error naming the file and the key, where it used to be
   * ignored; a user's value reaches the defaults that refer to it.
   */
  @Test
  void aUsersUnknownKeyIsAnErrorAndAUsersValueIsTheDefault() throws Exception {
    File file = File.createTempFile("pnet", ".conf");
    file.deleteOnExit();
    Files.writeString(file.toPath(), "pnet { ingest { resise = 128 } }");
    IllegalArgumentException e =
        Assertions.assertThrows(
            IllegalArgumentException.class,
            () ->
                Pnet.commandLine(
                    new ConfigDefaults(ConfigFactory.parseFile(file), file.getPath())));
    assertTrue(e.getMessage().contains(file.getPath()), e.getMessage());
    assertTrue(e.getMessage().contains("pnet.ingest.resise"), e.getMessage());

    Config user = ConfigFactory.parseString("pnet { ingest.resize = 128, evaluate.weights = raw }");
    CommandLine cli = Pnet.commandLine(new ConfigDefaults(user, "user"));
    cli.parseArgs("ingest", "--format", "folders", "--source", "/s", "--out", "/o");
    assertEquals(
        128,
        ((IngestCommand) cli.getSubcommands().get("ingest").getCommand())
            .options()
            .image()
            .shorterSide());
    OptionSpec exportWeights =
        cli.getSubcommands().get("export").getCommandSpec().findOption("--weights");
    assertEquals("raw", cli.getDefaultValueProvider().defaultValue(exportWeights));
  }

  /**
   * The library's errors name keys, never flags; the command line shows the flag the user typed
   * where the failed command has one, and leaves other keys alone.
   */
  @Test
  void libraryKeysInErrorsBecomeTheCommandsFlags() {
    CommandLine cli = Pnet.commandLine(new ConfigDefaults(ConfigFactory.empty(), "none"));
    CommandLine ingest = cli.getSubcommands().get("ingest");
    assertEquals(
        "--map-to: x is neither; name one with --val-synsets (meta.mat), not ingest.map-tos",
        Pnet.flagsForKeys(
            "ingest.map-to: x is neither; name one with ingest.val-synsets (meta.mat), not"
                + " ingest.map-tos",
            ingest));
    assertEquals(
        "train.model = x; ingest.map-to stays for evaluate",
        Pnet.flagsForKeys(
            "train.model = x; ingest.map-to stays for evaluate",
            cli.getSubcommands().get("evaluate")));
  }

  /** bench ingest's settings are checked in the library, which names keys; the user reads flags. */
  @Test
  void benchIngestNamesTheFlagOfABadSetting(@TempDir Path noPhotos) {
    Run runs = run(ConfigFactory.empty(), "bench", "ingest", "--end-to-end-runs", "0");
    assertEquals(2, runs.exitCode());
    assertEquals("pnet ingest: --end-to-end-runs must be >= 1, got 0", runs.err().strip());
    Run photos = run(ConfigFactory.empty(), "bench", "ingest", "--photos", noPhotos.toString());
    assertEquals(2, photos.exitCode());
    assertEquals(
        "pnet ingest: --photos " + noPhotos + ": no JPEG or PNG files under it",
        photos.err().strip());
  }

  @Test
  void pretrainRejectsABadConfigurationBeforeStartingSpark() throws Exception {
    File conf = File.createTempFile("exp", ".conf");
    conf.deleteOnExit();
    Files.writeString(conf.toPath(), "train { data.path = /d, out = /o }");
    Run r =
        run(
            ConfigFactory.empty(),
            "pretrain",
            "--config",
            conf.getPath(),
            "--set",
            "model=resnet50");
    assertEquals(2, r.exitCode());
    assertTrue(r.err().contains("pnet pretrain: train.model = resnet50"), r.err());
    Run missing = run(ConfigFactory.empty(), "pretrain", "--config", "/no/such.conf");
    assertEquals(2, missing.exitCode());
    assertTrue(missing.err().contains("/no/such.conf does not exist"), missing.err());
  }

  /** A wrong path is one line naming it and exit code 2, never a stack trace, for every command. */
  @Test
  void everyCommandAnswersAMissingInputInOneLine(@TempDir Path dir) {
    String none = "file:///nonexistent/pnet-input";
    String[][] commands = {
      {
        "ingest",
        "--format",
        "in1k-train",
        "--source",
        none + ".tar",
        "--out",
        dir.resolve("ds").toUri().toString()
      },
      {"report", "--results", none, "--out", dir.resolve("report").toUri().toString()},
      {
        "evaluate",
        "--checkpoint",
        none,
        "--data",
        none,
        "--results",
        dir.resolve("r").toUri().toString()
      },
      {"export", "--checkpoint", none, "--out", dir.resolve("m.onnx").toString()},
      {"pretrain", "--config", "/nonexistent/pnet-input.conf"},
      {"finetune", "--config", "/nonexistent/pnet-input.conf"},
      {"study", "--config", "/nonexistent/pnet-input.conf"},
    };
    for (String[] args : commands) {
      Run r = run(ConfigFactory.empty(), args);
      String what = String.join(" ", args) + " ->\n" + r.err();
      assertEquals(2, r.exitCode(), what);
      assertTrue(r.err().contains("nonexistent/pnet-input"), what);
      assertFalse(r.err().contains("\tat "), what);
      assertEquals(1, r.err().strip().lines().count(), what);
    }
  }
}
