// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import java.util.ArrayList;
import java.util.List;

/**
 * The failures of one connection attempt through a host list, reported as libpq reports them: one
 * after another, each host's (and each address's) own message on its own lines, the last one's
 * detail and hint kept for the tools' {@code detail:} and {@code hint:} lines. A single failure is
 * reported unchanged.
 */
final class ConnectFailures {

  private final List<PgException> failures = new ArrayList<>();

  /** Records the failure of one address or host. */
  void add(PgException failure) {
    failures.add(failure);
  }

  /**
   * The error to throw once no host is left: the only failure as it was, or, after several, one
   * whose message is every earlier failure as libpq renders it (the server's {@code FATAL:}, {@code
   * DETAIL:} and {@code HINT:} lines, or a client-side message and its hint indented by a tab),
   * then the last failure's message; SQLSTATE, detail, hint and cause are the last failure's.
   */
  PgException toException() {
    if (failures.isEmpty()) {
      throw new IllegalStateException("no connection attempt was made");
    }
    PgException last = failures.get(failures.size() - 1);
    if (failures.size() == 1) {
      return last;
    }
    StringBuilder text = new StringBuilder();
    for (PgException e : failures.subList(0, failures.size() - 1)) {
      text.append(render(e)).append('\n');
    }
    text.append(last.getMessage());
    return new PgException(last.sqlState(), text.toString(), last.detail(), last.hint(), last);
  }

  /** One earlier failure as libpq prints it within a longer message. */
  static String render(PgException e) {
    if (e.fromServer()) {
      return e.render();
    }
    StringBuilder out = new StringBuilder(String.valueOf(e.getMessage()));
    if (e.detail() != null) {
      out.append("\n\t").append(e.detail());
    }
    if (e.hint() != null) {
      out.append("\n\t").append(e.hint());
    }
    return out.toString();
  }
}
