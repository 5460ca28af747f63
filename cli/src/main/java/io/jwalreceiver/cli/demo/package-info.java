// SPDX-License-Identifier: Apache-2.0
/**
 * {@code jwalreceiver demo}: a streaming standby built step by step on embedded servers, each step
 * printed with the manual command that does the same. {@link io.jwalreceiver.cli.demo.Demo} runs
 * it; what it needs from the command line comes through {@link io.jwalreceiver.cli.demo.DemoHost},
 * so this package does not depend on {@code io.jwalreceiver.cli}. The servers run on the {@code
 * embedded} module's runtime, and so does the S3 API server of {@code --s3} ({@link
 * io.jwalreceiver.cli.demo.DemoObjectStorage}).
 */
@NullMarked
package io.jwalreceiver.cli.demo;

import org.jspecify.annotations.NullMarked;
