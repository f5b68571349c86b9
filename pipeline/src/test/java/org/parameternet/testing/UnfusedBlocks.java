package org.parameternet.testing;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.parameternet.model.layers.KernelPolicy;

/**
 * {@code @ExtendWith(UnfusedBlocks.class)}: each test of the class builds networks with every
 * bottleneck as unfused DL4J layers ({@code -Dpnet.kernels=fast}), for tests that look inside the
 * blocks by layer name; the default's native blocks are held to those layers by {@code
 * NativeBottleneckTest}. The switches are cleared after each test.
 */
public final class UnfusedBlocks implements BeforeEachCallback, AfterEachCallback {
  /** The switch's value for unfused blocks with the fast kernels. */
  public static final String VALUE = "fast";

  @Override
  public void beforeEach(ExtensionContext context) {
    System.setProperty(KernelPolicy.SWITCH, VALUE);
  }

  @Override
  public void afterEach(ExtensionContext context) {
    System.clearProperty(KernelPolicy.SWITCH);
    System.clearProperty(KernelPolicy.NATIVE_SQUEEZE_EXCITE);
    System.clearProperty(KernelPolicy.NATIVE_DYNAMIC);
  }
}
