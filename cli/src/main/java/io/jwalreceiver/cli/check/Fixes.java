// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli.check;

import io.jwalreceiver.SqlText;
import java.util.Set;

/** The wording the checks share in their fixes: limits to suggest, and names as SQL and hba. */
final class Fixes {

  /** A default-sized setting to suggest when a limit is zero or exhausted (PostgreSQL's own). */
  static final int DEFAULT_LIMIT = 10;

  /** WAL senders {@code basebackup -X stream} needs: the backup and the WAL streamer. */
  static final int SENDERS_FOR_BASEBACKUP = 2;

  static final String RESTART = "then restart the server";
  static final String RELOAD = "then SQL: SELECT pg_reload_conf();";
  static final String NEW_DIRECTORY = "receive into a new, empty directory (-D)";

  /** Words that cannot be a bare role name in SQL, limited to those plausible as role names. */
  private static final Set<String> RESERVED =
      Set.of(
          "all",
          "user",
          "current_user",
          "session_user",
          "group",
          "role",
          "none",
          "default",
          "public",
          "analyse",
          "analyze",
          "order",
          "table",
          "select",
          "grant",
          "check",
          "column");

  private Fixes() {}

  /** Room for what is in use now plus a receiver and a backup's streamer. */
  static int roomFor(int inUse) {
    return Math.max(DEFAULT_LIMIT, inUse + SENDERS_FOR_BASEBACKUP);
  }

  /** A role name as pg_hba.conf needs it: bare when plain, else double-quoted. */
  static String hbaName(String user) {
    return isPlainName(user) && !user.equals("all") ? user : '"' + user + '"';
  }

  /** A role name as SQL needs it: bare when plain and not reserved, else quoted. */
  static String sqlIdentifier(String user) {
    return isPlainName(user) && !RESERVED.contains(user) ? user : SqlText.identifier(user);
  }

  private static boolean isPlainName(String s) {
    if (s.isEmpty() || !(Character.isLowerCase(s.charAt(0)) || s.charAt(0) == '_')) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
        return false;
      }
    }
    return true;
  }
}
