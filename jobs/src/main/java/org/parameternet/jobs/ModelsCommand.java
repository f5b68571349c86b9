package org.parameternet.jobs;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.parameternet.model.ModelRegistry;
import org.parameternet.model.ModelSpec;
import org.parameternet.report.ModelTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pnet models}: the params/FLOPs table of the registered variants. */
@Command(
    name = "models",
    mixinStandardHelpOptions = true,
    description = "Print parameters and FLOPs (MACs, the paper's convention) of registered models.")
final class ModelsCommand implements Callable<Integer> {
  enum Format {
    MARKDOWN,
    CSV
  }

  @Option(
      names = "--format",
      description = "markdown or csv (raw integer counts). Default: ${DEFAULT-VALUE}.")
  Format format;

  @Option(
      names = "--resolution",
      description = "Input size for every model (default: each model's native resolution).")
  Integer resolution;

  @Option(names = "--classes", description = "Classifier outputs. Default: ${DEFAULT-VALUE}.")
  int classes;

  @Option(
      names = "--model",
      split = ",",
      description = "Models to list (default: all). Known: ${COMPLETION-CANDIDATES}.",
      completionCandidates = ModelNames.class)
  List<String> models;

  @Override
  public Integer call() {
    List<ModelSpec> specs = new ArrayList<>();
    for (String name : models == null ? List.copyOf(ModelRegistry.names()) : models) {
      ModelSpec spec = ModelRegistry.get(name).withClasses(classes);
      specs.add(resolution == null ? spec : spec.withResolution(resolution));
    }
    ModelTable table = ModelTable.of(specs);
    System.out.print(format == Format.CSV ? table.toCsv() : table.toMarkdown());
    return 0;
  }
}
