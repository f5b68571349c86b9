package org.parameternet.jobs;

import java.io.IOException;
import java.util.Properties;
import picocli.CommandLine;

/** Reads the version Maven wrote into the jar manifest. */
final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    String version = Pnet.class.getPackage().getImplementationVersion();
    return new String[] {"pnet " + (version == null ? "(development build)" : version)};
  }

  /** The git commit the jar was built from ({@code -dirty} if it had local changes). */
  static String gitCommit() {
    Properties p = new Properties();
    try (var in = VersionProvider.class.getResourceAsStream("build.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      return "unknown";
    }
    String commit = p.getProperty("git.commit", "");
    if (commit.isEmpty() || commit.startsWith("${")) {
      return "unknown";
    }
    return "true".equals(p.getProperty("git.dirty")) ? commit + "-dirty" : commit;
  }
}
