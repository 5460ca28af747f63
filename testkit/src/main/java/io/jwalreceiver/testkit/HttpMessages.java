// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * HTTP/1.1 on the wire for {@link HttpFaultProxy}: reading a message head, parsing it, writing it
 * back, and copying a body as its headers frame it (length or chunked) through a {@link Tap} that
 * applies a request fault.
 */
final class HttpMessages {

  static final int MAX_HEAD = 64 * 1024;
  static final int BUFFER_SIZE = 64 * 1024;

  private HttpMessages() {}

  /**
   * Copies a message body framed by the headers.
   *
   * @return false when the body has no framing and was copied to the end of the stream
   */
  static boolean copyBody(
      Map<String, String> headers, InputStream in, OutputStream out, @Nullable Tap tap)
      throws IOException {
    String transferEncoding = headers.getOrDefault("transfer-encoding", "");
    if (transferEncoding.toLowerCase(Locale.ROOT).contains("chunked")) {
      while (true) {
        String sizeLine = readLine(in);
        out.write((sizeLine + "\r\n").getBytes(StandardCharsets.US_ASCII));
        int semicolon = sizeLine.indexOf(';');
        long size =
            Long.parseLong(
                (semicolon < 0 ? sizeLine : sizeLine.substring(0, semicolon)).trim(), 16);
        if (size == 0) {
          String trailer;
          do {
            trailer = readLine(in);
            out.write((trailer + "\r\n").getBytes(StandardCharsets.US_ASCII));
          } while (!trailer.isEmpty());
          return true;
        }
        copy(in, out, size + 2, tap);
        if (tap != null && tap.cut) {
          return true;
        }
      }
    }
    String length = headers.get("content-length");
    if (length != null) {
      copy(in, out, Long.parseLong(length.trim()), tap);
      return true;
    }
    if (headers.containsKey("__response")) {
      copy(in, out, Long.MAX_VALUE, tap);
      return false;
    }
    return true; // A request without a body.
  }

  static void copy(InputStream in, OutputStream out, long length, @Nullable Tap tap)
      throws IOException {
    byte[] buffer = new byte[BUFFER_SIZE];
    long left = length;
    while (left > 0) {
      int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
      if (n < 0) {
        if (length == Long.MAX_VALUE) {
          return;
        }
        throw new EOFException("end of stream inside a message body");
      }
      out.write(buffer, 0, n);
      if (tap != null && tap.cut) {
        return;
      }
      left -= n;
    }
  }

  /** An output that applies a fault to the bytes passing through it. */
  static final class Tap extends OutputStream {
    private final OutputStream out;
    private final long cutAt;
    private final long flipAt;
    private long position;
    boolean cut;

    Tap(OutputStream out, HttpFaultProxy.@Nullable Fault fault) {
      this.out = out;
      this.cutAt = fault instanceof HttpFaultProxy.CutRequest c ? c.bodyBytes() : Long.MAX_VALUE;
      this.flipAt = fault instanceof HttpFaultProxy.FlipRequestByte f ? f.offset() : -1;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (cut) {
        return;
      }
      int n = (int) Math.min(len, cutAt - position);
      if (flipAt >= position && flipAt < position + n) {
        byte[] copy = java.util.Arrays.copyOfRange(b, off, off + n);
        copy[(int) (flipAt - position)] ^= (byte) 0xFF;
        out.write(copy, 0, n);
      } else {
        out.write(b, off, n);
      }
      position += n;
      if (position >= cutAt) {
        out.flush();
        cut = true;
      }
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }

  /** Reads a head up to its empty line; null at a clean end of stream before the first byte. */
  static @Nullable List<String> readHead(InputStream in) throws IOException {
    List<String> lines = new ArrayList<>();
    int total = 0;
    while (true) {
      String line;
      try {
        line = readLine(in);
      } catch (EOFException e) {
        if (lines.isEmpty() && total == 0) {
          return null;
        }
        throw e;
      }
      total += line.length() + 2;
      if (total > MAX_HEAD) {
        throw new IOException("HTTP head longer than " + MAX_HEAD + " bytes");
      }
      if (line.isEmpty()) {
        if (lines.isEmpty()) {
          continue; // Tolerated empty line before a request.
        }
        return lines;
      }
      lines.add(line);
    }
  }

  static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(128);
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("end of stream inside an HTTP head");
      }
      if (b == '\n') {
        byte[] bytes = line.toByteArray();
        int length =
            bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
      }
      if (line.size() > MAX_HEAD) {
        throw new IOException("HTTP line longer than " + MAX_HEAD + " bytes");
      }
      line.write(b);
    }
  }

  static HttpFaultProxy.Request parse(List<String> lines) {
    String[] first = lines.get(0).split(" ", 3);
    Map<String, String> headers = new TreeMap<>();
    for (String line : lines.subList(1, lines.size())) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers.put(
            line.substring(0, colon).trim().toLowerCase(Locale.ROOT),
            line.substring(colon + 1).trim());
      }
    }
    if (first[0].startsWith("HTTP/")) {
      headers.put("__response", first[1]);
    }
    return new HttpFaultProxy.Request(first[0], first.length > 1 ? first[1] : "", headers);
  }

  static int status(List<String> responseHead) {
    String[] first = responseHead.get(0).split(" ", 3);
    return first.length > 1 ? Integer.parseInt(first[1]) : 0;
  }

  /** The head's bytes; a request's without {@code Expect} (the proxy answers that itself). */
  static byte[] head(List<String> lines, boolean request) {
    StringBuilder text = new StringBuilder();
    for (String line : lines) {
      if (request && line.regionMatches(true, 0, "expect:", 0, 7)) {
        continue;
      }
      text.append(line).append("\r\n");
    }
    return text.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1);
  }
}
