// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import java.util.Objects;

/**
 * A five-character SQLSTATE code: the server's, or one of the client-side codes below.
 *
 * @param code the code, five upper-case letters or digits
 */
public record SqlState(String code) {

  /** 08001: the client could not establish a connection. */
  public static final SqlState CONNECTION_UNABLE = new SqlState("08001");

  /** 08006: an established connection failed (reset, closed, timed out). */
  public static final SqlState CONNECTION_FAILURE = new SqlState("08006");

  /** 08P01: the peer broke the protocol. */
  public static final SqlState PROTOCOL_VIOLATION = new SqlState("08P01");

  /** 28000: authentication is not possible as configured (wrong method, binding refused). */
  public static final SqlState INVALID_AUTHORIZATION = new SqlState("28000");

  /** 28P01: the password was rejected or is missing. */
  public static final SqlState INVALID_PASSWORD = new SqlState("28P01");

  /** 22023: an argument given by the user is not valid. */
  public static final SqlState INVALID_PARAMETER_VALUE = new SqlState("22023");

  /** 42602: a name (for example a slot name) is not valid. */
  public static final SqlState INVALID_NAME = new SqlState("42602");

  /** 42710: the object already exists (a replication slot). */
  public static final SqlState DUPLICATE_OBJECT = new SqlState("42710");

  /** 42704: the object does not exist (a replication slot). */
  public static final SqlState UNDEFINED_OBJECT = new SqlState("42704");

  /** 55006: the object is in use (an active replication slot). */
  public static final SqlState OBJECT_IN_USE = new SqlState("55006");

  /** 58030: a local I/O error. */
  public static final SqlState IO_ERROR = new SqlState("58030");

  /** 53100: the local disk is full. */
  public static final SqlState DISK_FULL = new SqlState("53100");

  /** 57014: the operation was cancelled (by a signal or a stop request). */
  public static final SqlState QUERY_CANCELED = new SqlState("57014");

  /** XX000: internal error. */
  public static final SqlState INTERNAL_ERROR = new SqlState("XX000");

  /** XX001: data corrupted (a backup manifest or a file that does not match it). */
  public static final SqlState DATA_CORRUPTED = new SqlState("XX001");

  /** 0A000: the feature is not supported (by this server version or this build). */
  public static final SqlState FEATURE_NOT_SUPPORTED = new SqlState("0A000");

  /** 42501: insufficient privilege (for example a role without REPLICATION). */
  public static final SqlState INSUFFICIENT_PRIVILEGE = new SqlState("42501");

  /** 53300: too many connections (max_connections or max_wal_senders reached). */
  public static final SqlState TOO_MANY_CONNECTIONS = new SqlState("53300");

  /** 57P03: the server cannot accept connections now (starting up, shutting down, in recovery). */
  public static final SqlState CANNOT_CONNECT_NOW = new SqlState("57P03");

  public SqlState {
    Objects.requireNonNull(code, "code");
    if (!code.matches("[0-9A-Z]{5}")) {
      throw new IllegalArgumentException("invalid SQLSTATE: \"" + code + "\"");
    }
  }

  /** The two-character class, for example {@code 08} for connection exceptions. */
  public String classCode() {
    return code.substring(0, 2);
  }

  @Override
  public String toString() {
    return code;
  }
}
