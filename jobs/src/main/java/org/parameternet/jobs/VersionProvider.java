package org.parameternet.jobs;

import picocli.CommandLine;

/** Reads the version Maven wrote into the jar manifest. */
final class VersionProvider implements CommandLine.IVersionProvider {
  @Override
  public String[] getVersion() {
    String version = Pnet.class.getPackage().getImplementationVersion();
    return new String[] {"pnet " + (version == null ? "(development build)" : version)};
  }
}
