package org.parameternet.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
 * exists, nothing is published on the host, HDFS checks permissions, and Spark authentication and
 * encryption are on with the secret in a file, never on a command line.
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
            DOCKER.resolve("spark-entrypoint.sh"),
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
    Matcher packages = Pattern.compile("(?m)^packages=\\(([^)]*)\\)").matcher(script);
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
  void nothingIsPublishedAndHdfsChecksPermissions() throws IOException {
    Map<String, Object> services = services();
    assertEquals(
        Set.of(
            "namenode",
            "datanode",
            "hdfs-init",
            "spark-master",
            "spark-worker-1",
            "spark-worker-2",
            "demo"),
        services.keySet());
    for (Map.Entry<String, Object> e : services.entrySet()) {
      Map<String, Object> service = (Map<String, Object>) e.getValue();
      assertFalse(service.containsKey("ports"), e.getKey() + " publishes a port");
    }
    Map<String, Object> hdfs =
        (Map<String, Object>) ((Map<String, Object>) services.get("namenode")).get("environment");
    assertEquals("true", hdfs.get("HDFS-SITE.XML_dfs.permissions.enabled"));
    Map<String, Object> demo = (Map<String, Object>) services.get("demo");
    assertEquals("pnet", ((Map<String, Object>) demo.get("environment")).get("HADOOP_USER_NAME"));
    assertTrue(demo.get("command").toString().contains("hdfs://namenode:8020/user/pnet/"));
    assertTrue(
        services.get("hdfs-init").toString().contains("hdfs dfs -chown pnet:pnet /user/pnet"));
  }

  /**
   * The Spark secret reaches the JVMs only through a file: a compose secret, written by the image's
   * entrypoint into a spark-defaults.conf readable by its user alone; no command line, environment
   * variable or script carries it. Authentication and encryption are on.
   */
  @Test
  @SuppressWarnings("unchecked")
  void theSparkSecretIsAFileAndTheWireIsEncrypted() throws IOException {
    String compose = Files.readString(DOCKER.resolve("compose.yaml"));
    Map<String, Object> top = new Yaml().load(compose);
    Map<String, Object> secret =
        (Map<String, Object>) ((Map<String, Object>) top.get("secrets")).get("spark_auth_secret");
    assertTrue(secret.get("file").toString().contains("SPARK_AUTH_SECRET_FILE"));
    for (Map.Entry<String, Object> e : services().entrySet()) {
      Map<String, Object> service = (Map<String, Object>) e.getValue();
      String text = service.toString();
      assertFalse(text.contains("authenticate.secret"), e.getKey() + " carries the secret");
      assertFalse(text.contains("SPARK_AUTH_SECRET"), e.getKey() + " carries the secret");
      if (e.getKey().startsWith("spark-") || e.getKey().equals("demo")) {
        assertEquals(List.of("spark_auth_secret"), service.get("secrets"), e.getKey());
      }
    }
    String entrypoint = Files.readString(DOCKER.resolve("spark-entrypoint.sh"));
    for (String line :
        List.of(
            "spark.authenticate true",
            "spark.network.crypto.enabled true",
            "spark.io.encryption.enabled true",
            "umask 077",
            "chmod 600 \"${conf_dir}/spark-defaults.conf\"",
            "/run/secrets/spark_auth_secret")) {
      assertTrue(entrypoint.contains(line), "spark-entrypoint.sh: " + line);
    }
    String dockerfile = Files.readString(DOCKER.resolve("Dockerfile"));
    assertTrue(
        dockerfile.contains("ENTRYPOINT [\"/opt/parameternet/bin/spark-entrypoint\"]"), dockerfile);
    assertTrue(dockerfile.contains("ENV SPARK_CONF_DIR="), dockerfile);
    String submit = Files.readString(DOCKER.resolve("pnet-submit.sh"));
    assertFalse(submit.contains("authenticate.secret"), "pnet-submit puts the secret on argv");
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
