// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.bench.support;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The run settings every benchmark of this module shares, declared once: throughput in operations
 * per second, per-thread state, one fork with a fixed 1 GiB heap, 3 warm-up and 5 measured
 * iterations of 2 s. JMH reads these annotations from the superclass; a benchmark that needs other
 * settings annotates itself, which takes precedence.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Thread)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public abstract class ThroughputBenchmark {

  /** For subclasses. */
  protected ThroughputBenchmark() {}
}
