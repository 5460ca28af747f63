// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/** The {@code --json} output of {@code status} and {@code archive verify}: an object, a newline. */
final class JsonOutput {

  /** Writes the fields of the object. */
  @FunctionalInterface
  interface Fields {
    void write(JsonGenerator g) throws IOException;
  }

  private JsonOutput() {}

  /** Prints {@code {fields}} on {@code out}, in UTF-8, then a line separator. */
  static void print(PrintStream out, Fields fields) {
    try {
      Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
      JsonGenerator g = new JsonFactory().createGenerator(w).useDefaultPrettyPrinter();
      g.writeStartObject();
      fields.write(g);
      g.writeEndObject();
      g.flush();
      w.write(System.lineSeparator());
      w.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
