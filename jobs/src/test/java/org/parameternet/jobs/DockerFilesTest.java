package org.parameternet.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * No Docker engine runs here, so the Docker files are checked statically against the build: the
 * compose file parses, versions and the jar path agree with the pom, every pnet subcommand used
 * exists, ports are published on 127.0.0.1 only, and Spark authentication is on.
 */
class DockerFilesTest {
  private static final Path DOCKER = Path.of("../docker");

  private static String pom() throws IOException {
    return Files.readString(Path.of("../pom.xml"));
  }

  private static String property(String pom, String name) {
    Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</").matcher(pom);
    assertTrue(m.find(), name + " in pom.xml");
    return m.group(1);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> services() throws IOException {
    Map<String, Object> compose = new Yaml().load(Files.readString(DOCKER.resolve("compose.yaml")));
    return (Map<String, Object>) compose.get("services");
  }

  /**
   * The shell scripts parse ({@code bash -n}): pnet-submit once failed on an apostrophe inside a
   * {@code ${VAR:?message}}, which bash reads as an opening quote.
   */
  @Test
  void theShellScriptsParse() throws Exception {
    for (Path script :
        List.of(
            DOCKER.resolve("pnet-submit.sh"),
            Path.of("../bin/pnet"),
            Path.of("../bin/install-native-libraries.sh"),
            Path.of("../bin/apt-install.sh"))) {
      Process bash =
          new ProcessBuilder("bash", "-n", script.toString()).redirectErrorStream(true).start();
      String output = new String(bash.getInputStream().readAllBytes());
      assertEquals(0, bash.waitFor(), script + ": " + output);
    }
  }

  @Test
  void theImageIsTheOfficialSparkImageOfThePomsVersions() throws IOException {
    String pom = pom();
    String expected =
        "apache/spark:"
            + property(pom, "spark.version")
            + "-scala"
            + property(pom, "scala.binary.version")
            + "-java"
            + property(pom, "maven.compiler.release")
            + "-ubuntu";
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
    assertTrue(dockerfile.contains("ARG SPARK_IMAGE=" + expected), "Dockerfile FROM " + expected);
    String version = property(pom, "version"); // the first <version> is the project's
    assertTrue(
        dockerfile.contains("COPY jobs/target/parameternet-jobs-" + version + "-spark.jar "),
        "the Dockerfile copies the shaded jar of version " + version);
    assertTrue(dockerfile.contains("COPY conf/ "));
    String image = (String) ((Map<?, ?>) services().get("spark-master")).get("image");
    assertEquals("parameternet-spark:" + version, image);
  }

  /** The image has the native libraries the install script puts on other machines. */
  @Test
  void theImageInstallsTheNativeLibraries() throws IOException {
    String script =
        Files.readString(DOCKER.resolveSibling("bin").resolve("install-native-libraries.sh"));
    java.util.regex.Matcher packages =
        java.util.regex.Pattern.compile("(?m)^packages=\\(([^)]*)\\)").matcher(script);
    assertTrue(packages.find(), "install-native-libraries.sh lists packages=(...)");
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
    for (String pkg : packages.group(1).trim().split("\\s+")) {
      assertTrue(
          dockerfile.matches("(?s).*apt-get install[^\\n]*\\b" + pkg + "\\b.*"),
          "the Dockerfile installs " + pkg);
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void everyServiceIsThereWithPortsOnLoopbackAndAuthenticationOn() throws IOException {
    Map<String, Object> services = services();
    assertEquals(
        Set.of("namenode", "datanode", "spark-master", "spark-worker-1", "spark-worker-2", "demo"),
        services.keySet());
    for (Map.Entry<String, Object> e : services.entrySet()) {
      Map<String, Object> service = (Map<String, Object>) e.getValue();
      for (Object port : (List<Object>) service.getOrDefault("ports", List.of())) {
        assertTrue(port.toString().startsWith("127.0.0.1:"), e.getKey() + " publishes " + port);
      }
      if (e.getKey().startsWith("spark-")) {
        Map<String, Object> env = (Map<String, Object>) service.get("environment");
        String opts =
            (String)
                env.get(
                    e.getKey().equals("spark-master") ? "SPARK_MASTER_OPTS" : "SPARK_WORKER_OPTS");
        assertTrue(opts.contains("-Dspark.authenticate=true"), e.getKey());
        assertTrue(opts.contains("-Dspark.authenticate.secret=${SPARK_AUTH_SECRET"), e.getKey());
      }
    }
    String submit = Files.readString(DOCKER.resolve("pnet-submit.sh"));
    assertTrue(submit.contains("--conf spark.authenticate=true"));
    assertTrue(submit.contains("spark.authenticate.secret=${SPARK_AUTH_SECRET}"));
    assertTrue(submit.contains("--class org.parameternet.jobs.Pnet"));
  }

  /** Every pnet subcommand the compose file and the Docker README run exists in the jar. */
  @Test
  @SuppressWarnings("unchecked")
  void everyCommandUsedExists() throws IOException {
    List<List<String>> commands = new ArrayList<>();
    for (Object s : services().values()) {
      Object command = ((Map<String, Object>) s).get("command");
      if (command instanceof List<?> list && list.get(0).toString().endsWith("pnet-submit")) {
        commands.add(list.subList(1, list.size()).stream().map(Object::toString).toList());
      }
    }
    Matcher m =
        Pattern.compile("pnet-submit ([a-z]+)")
            .matcher(Files.readString(DOCKER.resolve("README.md")));
    while (m.find()) {
      commands.add(List.of(m.group(1)));
    }
    assertTrue(commands.size() >= 2, "commands found: " + commands);
    for (List<String> c : commands) {
      var cli = Pnet.commandLine();
      assertTrue(cli.getSubcommands().containsKey(c.get(0)), "pnet " + c.get(0));
      // the arguments parse as that subcommand's options
      cli.parseArgs(c.toArray(String[]::new));
    }
  }
}
