// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * An HTTP/1.1-aware fault-injecting proxy for object-storage tests: listens on {@code
 * 127.0.0.1:<free port>} in front of a plain-HTTP server (an {@link S3Server}) and, request by
 * request, either forwards the request and its response (keep-alive connections stay open) or
 * injects a {@link Fault}.
 *
 * <p>It reads each request's head (request line and headers) and its body by {@code Content-Length}
 * or {@code Transfer-Encoding: chunked} ({@code aws-chunked} content is a body like any other:
 * offsets count its bytes as sent, chunk framing included), and each response's head and body
 * likewise (or to the end of the stream). {@code Expect: 100-continue} is answered by the proxy
 * itself and not forwarded, so that the body can be forwarded before the response is read. One
 * thread per client connection, one upstream connection per client connection.
 *
 * <p>Which requests get which fault: the rules added with {@link #inject} (the first matching rule
 * that has uses left wins), else the seeded random schedule of {@link #randomly}, else none.
 *
 * <pre>{@code
 * try (HttpFaultProxy proxy = HttpFaultProxy.to(S3Server.shared())) {
 *   proxy.inject(HttpFaultProxy.request("PUT", "wal/"), 2, HttpFaultProxy.slowDown());
 *   ... a client with endpoint proxy.endpoint() ...
 *   assertThat(proxy.injected()).hasSize(2);
 * }
 * }</pre>
 */
public final class HttpFaultProxy implements AutoCloseable {

  /** The most connections relayed at the same time; more are refused by a reset. */
  public static final int MAX_CONNECTIONS = 64;

  private static final int CONNECT_TIMEOUT_MILLIS = 5_000;
  private static final byte[] CONTINUE =
      "HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  /**
   * A request as the proxy saw it.
   *
   * @param method the method ({@code GET}, {@code PUT}, ...)
   * @param target the request target (path and query, URL-encoded as sent)
   * @param headers the headers, names in lower case
   */
  public record Request(String method, String target, Map<String, String> headers) {

    /** The target without its query string. */
    public String path() {
      int q = target.indexOf('?');
      return q < 0 ? target : target.substring(0, q);
    }

    /** The method and target, for logs and messages. */
    @Override
    public String toString() {
      return method + " " + target;
    }
  }

  /** What happens to a selected request instead of plain forwarding. */
  public sealed interface Fault {}

  /**
   * The request is not forwarded; the proxy answers with an S3 XML error ({@code <Error><Code>})
   * and {@code Connection: close}, then closes the connection. A request body is read first (unless
   * the client waits for {@code 100 Continue}, which it then never gets).
   *
   * @param status the HTTP status
   * @param code the S3 error code ({@code SlowDown}, {@code InternalError}, ...)
   */
  public record Answer(int status, String code) implements Fault {}

  /**
   * The request head and the first {@code bodyBytes} bytes of its body reach the server, then both
   * connections are reset: the server sees a truncated upload (or, when the body is shorter, the
   * whole request), the client a broken connection and no answer.
   *
   * @param bodyBytes how much of the body is forwarded
   */
  public record CutRequest(long bodyBytes) implements Fault {}

  /**
   * The request is forwarded whole (the server acts on it); the first {@code bytes} bytes of the
   * response (head included) reach the client, then both connections are reset.
   *
   * @param bytes how much of the response is relayed; 0 = the client gets no answer at all
   */
  public record CutResponse(long bytes) implements Fault {}

  /**
   * The request is forwarded with the body byte at {@code offset} inverted (bits flipped), as if
   * damaged on the way; the response is relayed.
   *
   * @param offset the offset in the body as sent (chunk framing included)
   */
  public record FlipRequestByte(long offset) implements Fault {}

  /**
   * After the request head, nothing more is read from the client nor sent to it: a client sending a
   * body blocks once the socket buffers are full, one waiting for an answer waits, until its own
   * timeout (or until the proxy is closed).
   */
  public record Stall() implements Fault {}

  private final String targetHost;
  private final int targetPort;
  private final ServerSocket listener;
  private final Thread acceptor;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private final List<Rule> rules = new CopyOnWriteArrayList<>();
  private final List<String> injected = new CopyOnWriteArrayList<>();
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private final AtomicInteger connectionIds = new AtomicInteger();
  private @Nullable Schedule schedule;
  private volatile boolean closed;

  private record Rule(Predicate<Request> which, AtomicInteger uses, Fault fault) {}

  private static final class Schedule {
    final Random random;
    final double probability;
    final int maxInARow;
    final List<Fault> faults;
    final Predicate<Request> which;
    final Map<String, Integer> inARow = new java.util.HashMap<>();

    Schedule(
        long seed,
        double probability,
        int maxInARow,
        List<Fault> faults,
        Predicate<Request> which) {
      this.random = new Random(seed);
      this.probability = probability;
      this.maxInARow = maxInARow;
      this.faults = List.copyOf(faults);
      this.which = which;
    }
  }

  /**
   * Starts a proxy to a target.
   *
   * @param targetHost the server's address
   * @param targetPort the server's port
   */
  public HttpFaultProxy(String targetHost, int targetPort) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    listener = ProxySockets.listen();
    acceptor = ProxySockets.startDaemon(this::acceptLoop, "http-fault-proxy-" + port() + "-accept");
  }

  /**
   * Starts a proxy in front of an S3 server.
   *
   * @param server the target
   * @return the proxy
   */
  public static HttpFaultProxy to(S3Server server) {
    return new HttpFaultProxy(server.endpoint().getHost(), server.port());
  }

  /** {@code 503 SlowDown}, S3's throttling answer. */
  public static Fault slowDown() {
    return new Answer(503, "SlowDown");
  }

  /** {@code 500 InternalError}. */
  public static Fault internalError() {
    return new Answer(500, "InternalError");
  }

  /**
   * Selects requests by method and by a part of their target.
   *
   * @param method the method, or null for any
   * @param targetPart a string the request target contains (a key, {@code uploads}, {@code
   *     partNumber=2}); empty for any
   * @return the selector
   */
  public static Predicate<Request> request(@Nullable String method, String targetPart) {
    return r -> (method == null || r.method().equals(method)) && r.target().contains(targetPart);
  }

  /** The endpoint to give clients instead of the server's, {@code http://127.0.0.1:PORT}. */
  public URI endpoint() {
    return URI.create("http://" + PostgresServer.HOST + ":" + port());
  }

  /** The port the proxy listens on. */
  public int port() {
    return listener.getLocalPort();
  }

  /**
   * Injects a fault into the next {@code times} requests that match.
   *
   * @param which the requests
   * @param times how many of them ({@link Integer#MAX_VALUE}: every one from now on)
   * @param fault what happens to them
   * @return this proxy
   */
  public HttpFaultProxy inject(Predicate<Request> which, int times, Fault fault) {
    rules.add(new Rule(which, new AtomicInteger(times), fault));
    return this;
  }

  /**
   * A seeded random schedule for requests no rule selects: each matching request gets one of the
   * faults (chosen at random) with the given probability, never more than {@code maxInARow} faults
   * one after another for the same request (method and target: its retries), so that a client that
   * retries often enough always gets through. The same seed and the same sequence of requests give
   * the same faults.
   *
   * @param seed the seed
   * @param probability the chance of a fault per request
   * @param maxInARow the most consecutive faults of the same request
   * @param which the requests the schedule applies to
   * @param faults the faults to choose from
   * @return this proxy
   */
  public synchronized HttpFaultProxy randomly(
      long seed, double probability, int maxInARow, Predicate<Request> which, List<Fault> faults) {
    schedule = new Schedule(seed, probability, maxInARow, faults, which);
    return this;
  }

  /**
   * Removes every rule and the random schedule (requests are forwarded from now on) and forgets the
   * requests and faults seen so far.
   */
  public synchronized void clear() {
    rules.clear();
    schedule = null;
    injected.clear();
    seen.clear();
  }

  /**
   * The faults injected so far, one line each ({@code "Answer[status=503, code=SlowDown] PUT
   * /bucket/key"}), in order.
   */
  public List<String> injected() {
    return List.copyOf(injected);
  }

  /** Every request seen so far ({@code "PUT /bucket/key?partNumber=1&uploadId=..."}), in order. */
  public List<String> requests() {
    return List.copyOf(seen);
  }

  /** Stops listening and resets every connection. */
  @Override
  public void close() {
    closed = true;
    ProxySockets.closeQuietly(listener);
    List.copyOf(sockets).forEach(ProxySockets::reset);
    try {
      acceptor.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "HttpFaultProxy 127.0.0.1:" + port() + " -> " + targetHost + ":" + targetPort;
  }

  private synchronized @Nullable Fault decide(Request request) {
    seen.add(request.toString());
    for (Rule rule : rules) {
      if (rule.which().test(request) && rule.uses().getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
        return record(rule.fault(), request);
      }
    }
    Schedule s = schedule;
    if (s != null && s.which.test(request)) {
      String same = request.toString();
      int faulted = s.inARow.getOrDefault(same, 0);
      if (faulted < s.maxInARow && s.random.nextDouble() < s.probability) {
        s.inARow.put(same, faulted + 1);
        return record(s.faults.get(s.random.nextInt(s.faults.size())), request);
      }
      s.inARow.remove(same);
    }
    return null;
  }

  private Fault record(Fault fault, Request request) {
    injected.add(fault + " " + request);
    return fault;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return; // Listener closed.
      }
      if (sockets.size() >= 2 * MAX_CONNECTIONS) {
        ProxySockets.reset(client);
        continue;
      }
      sockets.add(client);
      ProxySockets.startDaemon(
          () -> serve(client),
          "http-fault-proxy-" + port() + "-" + connectionIds.incrementAndGet());
    }
  }

  /** Serves one client connection, request after request, until either side closes. */
  private void serve(Socket client) {
    Socket upstream = null;
    try {
      client.setTcpNoDelay(true);
      InputStream in = new BufferedInputStream(client.getInputStream(), HttpMessages.BUFFER_SIZE);
      OutputStream out = client.getOutputStream();
      InputStream upIn = null;
      OutputStream upOut = null;
      while (!closed) {
        List<String> lines = HttpMessages.readHead(in);
        if (lines == null) {
          return; // The client closed between requests.
        }
        Request request = HttpMessages.parse(lines);
        Fault fault = decide(request);
        boolean expectsContinue =
            "100-continue".equalsIgnoreCase(request.headers().getOrDefault("expect", ""));
        if (fault instanceof Answer answer) {
          if (!expectsContinue) {
            HttpMessages.copyBody(request.headers(), in, OutputStream.nullOutputStream(), null);
          }
          out.write(errorResponse(answer, request));
          out.flush();
          client.shutdownOutput();
          drainQuietly(in);
          return;
        }
        if (fault instanceof Stall) {
          // Nothing more is read or written: a client that sends a body blocks once the socket
          // buffers are full, one that waits for an answer waits.
          while (!closed && !client.isClosed()) {
            Thread.sleep(100);
          }
          return;
        }
        if (upstream == null) {
          upstream = new Socket();
          sockets.add(upstream);
          upstream.connect(new InetSocketAddress(targetHost, targetPort), CONNECT_TIMEOUT_MILLIS);
          upstream.setTcpNoDelay(true);
          upIn = new BufferedInputStream(upstream.getInputStream(), HttpMessages.BUFFER_SIZE);
          upOut = upstream.getOutputStream();
        }
        Objects.requireNonNull(upIn);
        Objects.requireNonNull(upOut);
        if (expectsContinue) {
          out.write(CONTINUE);
          out.flush();
        }
        upOut.write(HttpMessages.head(lines, true));
        HttpMessages.Tap tap = new HttpMessages.Tap(upOut, fault);
        HttpMessages.copyBody(request.headers(), in, tap, tap);
        upOut.flush();
        if (tap.cut || fault instanceof CutRequest) {
          ProxySockets.reset(client);
          ProxySockets.reset(upstream);
          return;
        }
        List<String> response;
        do {
          response = HttpMessages.readHead(upIn);
          if (response == null) {
            ProxySockets.reset(client);
            return; // The server closed without an answer.
          }
        } while (HttpMessages.status(response) / 100 == 1 && HttpMessages.status(response) != 101);
        HttpMessages.Tap back =
            new HttpMessages.Tap(
                out, fault instanceof CutResponse c ? new CutRequest(c.bytes()) : null);
        back.write(HttpMessages.head(response, false));
        Map<String, String> responseHeaders = HttpMessages.parse(response).headers();
        boolean toEnd = false;
        if (!request.method().equals("HEAD")
            && HttpMessages.status(response) != 204
            && HttpMessages.status(response) != 304) {
          toEnd = !HttpMessages.copyBody(responseHeaders, upIn, back, back);
        }
        out.flush();
        if (back.cut) {
          ProxySockets.reset(client);
          ProxySockets.reset(upstream);
          return;
        }
        if (toEnd
            || "close".equalsIgnoreCase(responseHeaders.getOrDefault("connection", ""))
            || "close".equalsIgnoreCase(request.headers().getOrDefault("connection", ""))) {
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      // A broken connection on either side ends both.
      ProxySockets.reset(client);
    } catch (InterruptedException e) {
      ProxySockets.reset(client);
      Thread.currentThread().interrupt();
    } finally {
      closeQuietly(client);
      if (upstream != null) {
        closeQuietly(upstream);
      }
    }
  }

  private byte[] errorResponse(Answer answer, Request request) {
    String requestId = "fault-" + injected.size();
    byte[] body =
        ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>"
                + answer.code()
                + "</Code><Message>injected by HttpFaultProxy</Message><Resource>"
                + request.path()
                + "</Resource><RequestId>"
                + requestId
                + "</RequestId></Error>")
            .getBytes(StandardCharsets.UTF_8);
    String head =
        "HTTP/1.1 "
            + answer.status()
            + " "
            + answer.code()
            + "\r\nContent-Type: application/xml\r\nContent-Length: "
            + body.length
            + "\r\nx-amz-request-id: "
            + requestId
            + "\r\nConnection: close\r\n\r\n";
    ByteArrayOutputStream message = new ByteArrayOutputStream();
    message.writeBytes(head.getBytes(StandardCharsets.US_ASCII));
    if (!request.method().equals("HEAD")) {
      message.writeBytes(body);
    }
    return message.toByteArray();
  }

  private static void drainQuietly(InputStream in) {
    try {
      in.transferTo(OutputStream.nullOutputStream());
    } catch (IOException e) {
      // Gone.
    }
  }

  private void closeQuietly(Socket socket) {
    sockets.remove(socket);
    try {
      socket.close();
    } catch (IOException e) {
      // Gone.
    }
  }
}
