// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The fields of an ErrorResponse or NoticeResponse (protocol-notes §1.6).
 *
 * @param severity the non-localised severity (field {@code V}, or {@code S} from old servers)
 * @param sqlState the SQLSTATE (field {@code C})
 * @param message the primary message (field {@code M})
 * @param detail the detail (field {@code D}) or null
 * @param hint the hint (field {@code H}) or null
 * @param fields every field received, keyed by its field code
 */
public record ServerError(
    String severity,
    SqlState sqlState,
    String message,
    @Nullable String detail,
    @Nullable String hint,
    Map<Character, String> fields) {

  public ServerError {
    fields = Map.copyOf(fields);
  }

  /** Builds the record from raw field codes, tolerating missing fields. */
  public static ServerError of(Map<Character, String> fields) {
    String severity = fields.getOrDefault('V', fields.getOrDefault('S', "ERROR"));
    String code = fields.getOrDefault('C', SqlState.INTERNAL_ERROR.code());
    SqlState state;
    try {
      state = new SqlState(code);
    } catch (IllegalArgumentException e) {
      state = SqlState.INTERNAL_ERROR;
    }
    return new ServerError(
        severity, state, fields.getOrDefault('M', ""), fields.get('D'), fields.get('H'), fields);
  }

  /** The field {@code W} (context), or null. */
  public @Nullable String where() {
    return fields.get('W');
  }

  /**
   * The text as libpq renders it: {@code SEVERITY: message}, then {@code DETAIL: …} and {@code
   * HINT: …} lines.
   */
  public String render() {
    StringBuilder sb = new StringBuilder();
    sb.append(severity).append(":  ").append(message);
    if (detail != null) {
      sb.append('\n').append("DETAIL:  ").append(detail);
    }
    if (hint != null) {
      sb.append('\n').append("HINT:  ").append(hint);
    }
    return sb.toString();
  }
}
