package org.parameternet.jobs;

import java.util.Iterator;
import org.parameternet.model.ModelRegistry;

/** Registered model names, for picocli's help text and completion. */
final class ModelNames implements Iterable<String> {
  @Override
  public Iterator<String> iterator() {
    return ModelRegistry.names().iterator();
  }
}
