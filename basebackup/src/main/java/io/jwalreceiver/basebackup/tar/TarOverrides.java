// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.tar;

import static io.jwalreceiver.basebackup.tar.TarHeader.violation;

import io.jwalreceiver.PgException;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * What {@link TarReader}'s extension members say about the member that follows them: pax {@code x}
 * records ({@code path}, {@code linkpath}, {@code size}, {@code uid}, {@code gid}, {@code mtime})
 * and GNU {@code L}/{@code K} long names, collected until the next real header and then folded into
 * it. Pax {@code g} records are checked for form only.
 */
final class TarOverrides {

  // Null/-1 when unset.
  private @Nullable String name;
  private @Nullable String link;
  private long size = -1;
  private long uid = -1;
  private long gid = -1;
  private @Nullable Long mtime;

  /** Where the first extension member describing the next member started; -1 when none. */
  private long offset = -1;

  /** Where the pending extension members started, or -1 when there are none. */
  long offset() {
    return offset;
  }

  /** An extension member for the next member starts at {@code at} (the first one counts). */
  void describedFrom(long at) {
    if (offset < 0) {
      offset = at;
    }
  }

  /** GNU {@code L}: the data (NUL-terminated) replaces the next header's name. */
  void longName(byte[] d) {
    name = cString(d);
  }

  /** GNU {@code K}: the data (NUL-terminated) replaces the next header's link name. */
  void longLink(byte[] d) {
    link = cString(d);
  }

  private static String cString(byte[] d) {
    int n = 0;
    while (n < d.length && d[n] != 0) {
      n++;
    }
    return new String(d, 0, n, StandardCharsets.UTF_8);
  }

  /**
   * Pax records, each {@code "<len> <keyword>=<value>\n"} where len counts the whole record in
   * decimal, its own digits included. An empty value cancels the keyword.
   */
  void pax(byte[] d, long at, boolean global) {
    int i = 0;
    while (i < d.length) {
      if (d[i] == 0) {
        // Some writers pad the extension data with NULs.
        break;
      }
      int start = i;
      long len = 0;
      while (i < d.length && d[i] >= '0' && d[i] <= '9' && len <= d.length) {
        len = len * 10 + (d[i] - '0');
        i++;
      }
      if (i == start || i >= d.length || d[i] != ' ' || len > d.length - start) {
        throw badPax(at, start, "bad record length");
      }
      int end = start + (int) len - 1;
      if (end <= i || d[end] != '\n') {
        throw badPax(at, start, "record does not end in a newline");
      }
      int eq = i + 1;
      while (eq < end && d[eq] != '=') {
        eq++;
      }
      if (eq == end || eq == i + 1) {
        throw badPax(at, start, "record has no keyword=value");
      }
      String key = new String(d, i + 1, eq - i - 1, StandardCharsets.UTF_8);
      String value = new String(d, eq + 1, end - eq - 1, StandardCharsets.UTF_8);
      if (!global) {
        paxRecord(key, value, at, start);
      }
      i = end + 1;
    }
  }

  private void paxRecord(String key, String value, long at, int recordOffset) {
    boolean unset = value.isEmpty();
    switch (key) {
      case "path" -> name = unset ? null : value;
      case "linkpath" -> link = unset ? null : value;
      case "size" -> size = unset ? -1 : paxNumber(key, value, at, recordOffset);
      case "uid" -> uid = unset ? -1 : paxNumber(key, value, at, recordOffset);
      case "gid" -> gid = unset ? -1 : paxNumber(key, value, at, recordOffset);
      case "mtime" -> mtime = unset ? null : paxTime(value, at, recordOffset);
      default -> {
        // atime, ctime, uname, gname, charset, comment, SCHILY.*, LIBARCHIVE.*: not needed.
      }
    }
  }

  private static long paxNumber(String key, String value, long at, int recordOffset) {
    try {
      long v = Long.parseLong(value);
      if (v >= 0 && value.charAt(0) != '+') {
        return v;
      }
    } catch (NumberFormatException e) {
      // fall through to the error below
    }
    throw badPax(at, recordOffset, "bad " + key + " value \"" + value + "\"");
  }

  /** Pax times are decimal seconds with an optional fraction; the whole seconds are kept. */
  private static long paxTime(String value, long at, int recordOffset) {
    int dot = value.indexOf('.');
    String whole = dot < 0 ? value : value.substring(0, dot);
    try {
      long v = Long.parseLong(whole);
      // Keep floor semantics for negative times: -1.5 is 2 seconds before 0, not 1.
      boolean negativeFraction =
          dot >= 0
              && whole.startsWith("-")
              && value.substring(dot + 1).chars().anyMatch(c -> c != '0');
      return negativeFraction ? v - 1 : v;
    } catch (NumberFormatException e) {
      throw badPax(at, recordOffset, "bad mtime value \"" + value + "\"");
    }
  }

  private static PgException badPax(long at, int recordOffset, String why) {
    return violation(
        "invalid pax extended header at offset "
            + at
            + ": "
            + why
            + " at byte "
            + recordOffset
            + " of its data");
  }

  /** {@code h} with the overrides collected since the last member; they are reset. */
  TarHeader apply(TarHeader h) {
    if (offset < 0) {
      return h;
    }
    TarHeader merged =
        new TarHeader(
            name != null ? name : h.name(),
            h.mode(),
            uid >= 0 ? uid : h.uid(),
            gid >= 0 ? gid : h.gid(),
            size >= 0 ? size : h.size(),
            mtime != null ? mtime : h.mtime(),
            h.typeflag(),
            link != null ? link : h.linkname());
    name = null;
    link = null;
    size = -1;
    uid = -1;
    gid = -1;
    mtime = null;
    offset = -1;
    return merged;
  }
}
