// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.protocol.command;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.SqlText;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.protocol.command.ReplicationCommand.CreateReplicationSlot;
import io.jwalreceiver.protocol.command.ReplicationCommand.DropReplicationSlot;
import io.jwalreceiver.protocol.command.ReplicationCommand.IdentifySystem;
import io.jwalreceiver.protocol.command.ReplicationCommand.ReadReplicationSlot;
import io.jwalreceiver.protocol.command.ReplicationCommand.Show;
import io.jwalreceiver.protocol.command.ReplicationCommand.StartReplication;
import io.jwalreceiver.protocol.command.ReplicationCommand.TimelineHistory;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ReplicationCommandTest {

  private static final String SLOT_HINT =
      "Replication slot names may only contain lower case letters, numbers, and the underscore"
          + " character.";

  static Stream<Arguments> commandTexts() {
    return Stream.of(
        Arguments.of(new IdentifySystem(), 130000, "IDENTIFY_SYSTEM"),
        Arguments.of(new IdentifySystem(), 180000, "IDENTIFY_SYSTEM"),
        Arguments.of(new Show("wal_segment_size"), 150000, "SHOW wal_segment_size"),
        Arguments.of(new Show("data_directory_mode"), 130000, "SHOW data_directory_mode"),
        Arguments.of(new TimelineHistory(new TimelineId(2)), 150000, "TIMELINE_HISTORY 2"),
        Arguments.of(
            new TimelineHistory(new TimelineId(-1)), 150000, "TIMELINE_HISTORY 4294967295"),
        // CREATE_REPLICATION_SLOT: keyword options before 15, parenthesised list from 15.
        Arguments.of(
            new CreateReplicationSlot("golden_slot", false, true),
            150000,
            "CREATE_REPLICATION_SLOT \"golden_slot\" PHYSICAL (RESERVE_WAL)"),
        Arguments.of(
            new CreateReplicationSlot("golden_slot", false, true),
            180003,
            "CREATE_REPLICATION_SLOT \"golden_slot\" PHYSICAL (RESERVE_WAL)"),
        Arguments.of(
            new CreateReplicationSlot("golden_slot", false, true),
            140000,
            "CREATE_REPLICATION_SLOT \"golden_slot\" PHYSICAL RESERVE_WAL"),
        Arguments.of(
            new CreateReplicationSlot("golden_slot", false, true),
            149999,
            "CREATE_REPLICATION_SLOT \"golden_slot\" PHYSICAL RESERVE_WAL"),
        Arguments.of(
            new CreateReplicationSlot("golden_slot", false, true),
            130001,
            "CREATE_REPLICATION_SLOT \"golden_slot\" PHYSICAL RESERVE_WAL"),
        Arguments.of(
            new CreateReplicationSlot("tmp_1", true, true),
            150000,
            "CREATE_REPLICATION_SLOT \"tmp_1\" TEMPORARY PHYSICAL (RESERVE_WAL)"),
        Arguments.of(
            new CreateReplicationSlot("tmp_1", true, true),
            140000,
            "CREATE_REPLICATION_SLOT \"tmp_1\" TEMPORARY PHYSICAL RESERVE_WAL"),
        Arguments.of(
            new CreateReplicationSlot("tmp_1", true, false),
            150000,
            "CREATE_REPLICATION_SLOT \"tmp_1\" TEMPORARY PHYSICAL"),
        Arguments.of(
            new CreateReplicationSlot("s", false, false),
            150000,
            "CREATE_REPLICATION_SLOT \"s\" PHYSICAL"),
        Arguments.of(
            new CreateReplicationSlot("s", false, false),
            140000,
            "CREATE_REPLICATION_SLOT \"s\" PHYSICAL"),
        Arguments.of(
            new DropReplicationSlot("golden_slot", false),
            150000,
            "DROP_REPLICATION_SLOT \"golden_slot\""),
        Arguments.of(
            new DropReplicationSlot("golden_slot", true),
            130000,
            "DROP_REPLICATION_SLOT \"golden_slot\" WAIT"),
        Arguments.of(
            new DropReplicationSlot("golden_slot", true),
            170000,
            "DROP_REPLICATION_SLOT \"golden_slot\" WAIT"),
        Arguments.of(
            new ReadReplicationSlot("golden_slot"),
            150000,
            "READ_REPLICATION_SLOT \"golden_slot\""),
        Arguments.of(
            new StartReplication("golden_slot", Lsn.parse("0/5000000"), TimelineId.FIRST),
            150000,
            "START_REPLICATION SLOT \"golden_slot\" PHYSICAL 0/5000000 TIMELINE 1"),
        Arguments.of(
            new StartReplication(null, Lsn.parse("16/B374D848"), new TimelineId(3)),
            130000,
            "START_REPLICATION PHYSICAL 16/B374D848 TIMELINE 3"),
        Arguments.of(
            new StartReplication("s", Lsn.parse("FFFFFFFF/FF000000"), TimelineId.of(0xFFFF_FFFFL)),
            160000,
            "START_REPLICATION SLOT \"s\" PHYSICAL FFFFFFFF/FF000000 TIMELINE 4294967295"));
  }

  @ParameterizedTest(name = "{1}: {2}")
  @MethodSource("commandTexts")
  void rendersCommandTextForServerVersion(ReplicationCommand command, int version, String text) {
    assertThat(command.text(version)).isEqualTo(text);
  }

  /**
   * Identifiers are quoted by doubling double quotes, literals by doubling single quotes and
   * keeping backslashes.
   */
  @ParameterizedTest(name = "{0} [{1}] -> [{2}]")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "identifier | golden_slot   | \"golden_slot\"",
        "identifier | a\"b          | \"a\"\"b\"",
        "identifier | \"            | \"\"\"\"",
        "identifier | ``            | \"\"",
        "identifier | Mixed Case    | \"Mixed Case\"",
        "identifier | it's          | \"it's\"",
        "literal    | label         | 'label'",
        "literal    | it's         | 'it''s'",
        "literal    | ''            | ''''''",
        "literal    | ``            | ''",
        "literal    | a\\b          | 'a\\b'",
        "literal    | say \"hi\"    | 'say \"hi\"'",
      })
  void quotesIdentifiersAndLiterals(String which, String text, String quoted) {
    String actual = which.equals("identifier") ? SqlText.identifier(text) : SqlText.literal(text);
    assertThat(actual).isEqualTo(quoted);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"identifier", "literal"})
  void refusesNulBytesInQuotedText(String which) {
    ThrowingCallable quote =
        which.equals("identifier")
            ? () -> SqlText.identifier("a\0b")
            : () -> SqlText.literal("a\0b");

    assertThatThrownBy(quote)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("NUL");
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(
      strings = {
        "a",
        "golden_slot",
        "_",
        "0",
        "slot_2024_06",
        "abcdefghijklmnopqrstuvwxyz_0123456789_abcdefghijklmnopqrstuvwxy" // 63
      })
  void acceptsValidSlotNames(String name) {
    assertThat(SqlText.validateSlotName(name)).isEqualTo(name);
  }

  static Stream<Arguments> slotNamesOfBadLength() {
    String tooLong = "x".repeat(64);
    return Stream.of(
        Arguments.of("", "replication slot name \"\" is too short"),
        Arguments.of(tooLong, "replication slot name \"" + tooLong + "\" is too long"),
        Arguments.of(
            "x".repeat(200), "replication slot name \"" + "x".repeat(200) + "\" is too long"));
  }

  @ParameterizedTest(name = "length {index}")
  @MethodSource("slotNamesOfBadLength")
  void rejectsSlotNamesOfBadLengthWithTheServerMessage(String name, String message) {
    assertThatThrownBy(() -> SqlText.validateSlotName(name))
        .isInstanceOfSatisfying(
            PgException.class,
            e -> {
              assertThat(e.sqlState()).isEqualTo(SqlState.INVALID_NAME);
              assertThat(e.getMessage()).isEqualTo(message);
              assertThat(e.hint()).isNull();
            });
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"Golden", "golden-slot", "golden slot", "sl\u00f6t", "a\"b", "x;", "A"})
  void rejectsSlotNamesWithInvalidCharactersWithTheServerHint(String name) {
    assertThatThrownBy(() -> SqlText.validateSlotName(name))
        .isInstanceOfSatisfying(
            PgException.class,
            e -> {
              assertThat(e.sqlState()).isEqualTo(SqlState.INVALID_NAME);
              assertThat(e.getMessage())
                  .isEqualTo("replication slot name \"" + name + "\" contains invalid character");
              assertThat(e.hint()).isEqualTo(SLOT_HINT);
              assertThat(e.render()).isEqualTo(e.getMessage());
            });
  }

  static Stream<Arguments> commandsWithBadSlotNames() {
    return Stream.of(
        Arguments.of(
            "create", (ThrowingCallable) () -> new CreateReplicationSlot("Bad", false, true)),
        Arguments.of("drop", (ThrowingCallable) () -> new DropReplicationSlot("", false)),
        Arguments.of("read", (ThrowingCallable) () -> new ReadReplicationSlot("x".repeat(64))),
        Arguments.of(
            "start",
            (ThrowingCallable)
                () -> new StartReplication("a b", Lsn.parse("0/1"), TimelineId.FIRST)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("commandsWithBadSlotNames")
  void commandsValidateSlotNamesBeforeAnythingIsSent(String what, ThrowingCallable construct) {
    assertThatThrownBy(construct)
        .isInstanceOfSatisfying(
            PgException.class, e -> assertThat(e.sqlState()).isEqualTo(SqlState.INVALID_NAME));
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"", "wal_segment_size; DROP", "Wal", "a b", "1abc", "a\"b"})
  void showRefusesParameterNamesThatAreNotPlainIdentifiers(String parameter) {
    assertThatThrownBy(() -> new Show(parameter))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("invalid parameter name");
  }
}
