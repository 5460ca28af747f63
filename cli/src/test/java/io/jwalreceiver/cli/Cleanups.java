// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import java.util.ArrayList;
import java.util.List;

/**
 * What a test must undo (servers, slots, directories), run in reverse order of registration; one
 * failing step is printed and does not stop the others.
 */
final class Cleanups {

  private final List<Runnable> steps = new ArrayList<>();

  void add(Runnable step) {
    steps.add(step);
  }

  void runAll() {
    for (int i = steps.size() - 1; i >= 0; i--) {
      try {
        steps.get(i).run();
      } catch (RuntimeException | AssertionError e) {
        System.out.println("cleanup: " + e);
      }
    }
    steps.clear();
  }
}
