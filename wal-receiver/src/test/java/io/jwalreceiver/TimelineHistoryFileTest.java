// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver;

import static io.jwalreceiver.PgAssertions.assertPgException;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.TimelineHistoryFile.Entry;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TimelineHistoryFileTest {

  private static final TimelineId TLI_1 = TimelineId.FIRST;
  private static final TimelineId TLI_2 = new TimelineId(2);
  private static final TimelineId TLI_3 = new TimelineId(3);
  private static final TimelineId TLI_5 = new TimelineId(5);

  /** What a server writes after two promotions: the history of timeline 3. */
  private static final String TLI_3_HISTORY =
      "1\t0/3000000\tno recovery target specified\n"
          + "\n"
          + "2\t0/5000158\tat restore point \"before_upgrade\"\n";

  static Stream<Arguments> wellFormedFiles() {
    return Stream.of(
        Arguments.of(
            "as written by the server",
            TLI_2,
            "1\t0/3000000\tno recovery target specified\n",
            List.of(entry(1, "0/3000000", "no recovery target specified"))),
        Arguments.of(
            "two ancestors and a blank line",
            TLI_3,
            TLI_3_HISTORY,
            List.of(
                entry(1, "0/3000000", "no recovery target specified"),
                entry(2, "0/5000158", "at restore point \"before_upgrade\""))),
        Arguments.of("empty file", TLI_2, "", List.of()),
        Arguments.of("comments only", TLI_2, "# nothing\n\n   # indented\n", List.of()),
        Arguments.of(
            "comments, blank lines, spaces, CRLF, no final newline",
            TLI_5,
            "# history\r\n\r\n  1  0/3000000\r\n\t3 \t 00000001/0000ABCD  \tafter  promotion \r\n   \n"
                + "4\tff/ffffffff\treason\twith\ttabs",
            List.of(
                entry(1, "0/3000000", ""),
                entry(3, "1/ABCD", "after  promotion "),
                entry(4, "FF/FFFFFFFF", "reason\twith\ttabs"))),
        Arguments.of(
            "gaps between ancestors (abandoned timelines)",
            TLI_5,
            "1\t0/3000000\ta\n4\t0/5000000\tb\n",
            List.of(entry(1, "0/3000000", "a"), entry(4, "0/5000000", "b"))),
        Arguments.of(
            "non-ASCII reason",
            TLI_2,
            "1\t0/3000000\tat restore point \"ünïcødé\"\n",
            List.of(entry(1, "0/3000000", "at restore point \"ünïcødé\""))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("wellFormedFiles")
  void parsesWellFormedFile(
      String description, TimelineId timeline, String content, List<Entry> expected) {
    byte[] bytes = content.getBytes(UTF_8);

    TimelineHistoryFile file =
        TimelineHistoryFile.parse(timeline, timeline.historyFileName(), bytes);

    assertThat(file.timeline()).isEqualTo(timeline);
    assertThat(file.fileName()).isEqualTo(timeline.historyFileName());
    assertThat(file.entries()).isEqualTo(expected);
    assertThat(file.content()).isEqualTo(bytes);
  }

  static Stream<Arguments> malformedLines() {
    return Stream.of(
        Arguments.of("x\t0/3000000\treason", "x\t0/3000000\treason", "numeric timeline ID"),
        Arguments.of("0\t0/3000000\treason", "0\t0/3000000\treason", "numeric timeline ID"),
        Arguments.of("-1\t0/3000000", "-1\t0/3000000", "numeric timeline ID"),
        Arguments.of("+1\t0/3000000", "+1\t0/3000000", "numeric timeline ID"),
        Arguments.of("0x1\t0/3000000", "0x1\t0/3000000", "numeric timeline ID"),
        Arguments.of("4294967296\t0/3000000", "4294967296\t0/3000000", "numeric timeline ID"),
        Arguments.of("1/0/3000000", "1/0/3000000", "numeric timeline ID"),
        Arguments.of("1", "1", "switchpoint location"),
        Arguments.of("1\t", "1\t", "switchpoint location"),
        Arguments.of("1\treason", "1\treason", "switchpoint location"),
        Arguments.of("1\t0/", "1\t0/", "switchpoint location"),
        Arguments.of("1\t3000000\treason", "1\t3000000\treason", "switchpoint location"),
        Arguments.of("1\t0/3000000x", "1\t0/3000000x", "switchpoint location"),
        Arguments.of("1\t0/123456789", "1\t0/123456789", "switchpoint location"),
        Arguments.of("1\t-0/3000000", "1\t-0/3000000", "switchpoint location"),
        Arguments.of("1\t0/300000;x", "1\t0/300000;x", "switchpoint location"),
        Arguments.of("1\t0/3000000\n1\t0/4000000", "1\t0/4000000", "increasing sequence"),
        Arguments.of("2\t0/3000000\n1\t0/4000000", "1\t0/4000000", "increasing sequence"),
        Arguments.of("1\t0/3000000\n3\t0/4000000", "3\t0/4000000", "less than child"),
        Arguments.of("4\t0/4000000", "4\t0/4000000", "less than child"),
        Arguments.of("1\t0/3000000\r\nfoo\r\n", "foo", "numeric timeline ID"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformedLines")
  void rejectsMalformedLine(String content, String badLine, String hint) {
    assertPgException(
            () -> TimelineHistoryFile.parse(TLI_3, "00000003.history", content.getBytes(UTF_8)),
            SqlState.PROTOCOL_VIOLATION)
        .hasMessage("invalid data in history file \"00000003.history\": \"" + badLine + "\"")
        .satisfies(e -> assertThat(((PgException) e).hint()).contains(hint));
  }

  @ParameterizedTest(name = "{0} for timeline {1}")
  @CsvSource({
    "00000002.history,   3",
    "00000003.History,   3",
    "3.history,          3",
    "00000003,           3",
    "0000000a.history,   10",
    "'',                 2",
  })
  void rejectsUnexpectedFileName(String fileName, TimelineId timeline) {
    assertPgException(
            () -> TimelineHistoryFile.parse(timeline, fileName, new byte[0]),
            SqlState.PROTOCOL_VIOLATION)
        .hasMessage(
            "server reported unexpected history file name for timeline "
                + timeline
                + ": "
                + fileName);
  }

  @ParameterizedTest(name = "timeline {0} ends at {1}")
  @CsvSource({
    "1,   0/3000000",
    "2,   0/5000158",
  })
  void findsSwitchPointOfAncestor(long ancestor, String switchPoint) {
    TimelineHistoryFile file = tli3History();

    assertThat(file.switchPointOf(TimelineId.of(ancestor))).contains(Lsn.parse(switchPoint));
    assertThat(file.contains(TimelineId.of(ancestor))).isTrue();
  }

  @Test
  void reportsNoSwitchPointForOwnTimeline() {
    TimelineHistoryFile file = tli3History();

    assertThat(file.switchPointOf(TLI_3)).isEmpty();
    assertThat(file.contains(TLI_3)).isTrue();
  }

  @ParameterizedTest(name = "timeline {0}")
  @CsvSource({"4", "5", "4294967295"})
  void rejectsSwitchPointOfTimelineNotInHistory(long tli) {
    TimelineHistoryFile file = tli3History();
    TimelineId timeline = TimelineId.of(tli);

    assertThat(file.contains(timeline)).isFalse();
    assertPgException(() -> file.switchPointOf(timeline), SqlState.INVALID_PARAMETER_VALUE)
        .hasMessage("timeline " + tli + " is not in the history of timeline 3");
  }

  @Test
  void namesParentAndBranchPoint() {
    TimelineHistoryFile file = tli3History();

    assertThat(file.parent()).contains(TLI_2);
    assertThat(file.switchPoint()).contains(Lsn.parse("0/5000158"));

    TimelineHistoryFile empty = TimelineHistoryFile.parse(TLI_2, "00000002.history", new byte[0]);
    assertThat(empty.parent()).isEmpty();
    assertThat(empty.switchPoint()).isEmpty();
  }

  @ParameterizedTest(name = "{0} is on timeline {1}")
  @CsvSource({
    "0/0,                 1",
    "0/2FFFFFF,           1",
    "0/3000000,           2",
    "0/5000157,           2",
    "0/5000158,           3",
    "FFFFFFFF/FFFFFFFF,   3",
  })
  void findsTimelineOfPosition(String lsn, long tli) {
    assertThat(tli3History().timelineAt(Lsn.parse(lsn))).isEqualTo(TimelineId.of(tli));
  }

  @Test
  void rendersEntriesLikeServer() {
    List<Entry> entries =
        List.of(
            entry(1, "0/3000000", "no recovery target specified"),
            entry(2, "0/5000158", "at restore point \"before_upgrade\""));

    TimelineHistoryFile file = TimelineHistoryFile.of(TLI_3, entries);

    assertThat(new String(file.content(), UTF_8))
        .isEqualTo(
            "1\t0/3000000\tno recovery target specified\n"
                + "2\t0/5000158\tat restore point \"before_upgrade\"\n");
    assertThat(file.fileName()).isEqualTo("00000003.history");
    assertThat(file.entries()).isEqualTo(entries);
  }

  @ParameterizedTest(name = "\"{0}\"")
  @ValueSource(strings = {"two\nlines", "carriage\rreturn", " leading blank", "\tleading tab"})
  void rejectsReasonThatCannotBeWritten(String reason) {
    List<Entry> entries = List.of(new Entry(TLI_1, Lsn.parse("0/3000000"), reason));

    assertThatThrownBy(() -> TimelineHistoryFile.of(TLI_2, entries))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rejectsEntriesThatContradictContent() {
    byte[] content = TLI_3_HISTORY.getBytes(UTF_8);
    List<Entry> wrong = List.of(entry(1, "0/3000000", "no recovery target specified"));

    assertThatThrownBy(() -> new TimelineHistoryFile(TLI_3, "00000003.history", content, wrong))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void copiesContentDefensively() {
    byte[] content = TLI_3_HISTORY.getBytes(UTF_8);
    TimelineHistoryFile file = TimelineHistoryFile.parse(TLI_3, "00000003.history", content);

    content[0] = 'x';
    file.content()[0] = 'y';

    assertThat(file.content()).isEqualTo(TLI_3_HISTORY.getBytes(UTF_8));
  }

  @Test
  void comparesByContent() {
    TimelineHistoryFile a = tli3History();
    TimelineHistoryFile b = tli3History();
    TimelineHistoryFile sameEntriesOtherBytes =
        TimelineHistoryFile.parse(
            TLI_3, "00000003.history", ("# copy\n" + TLI_3_HISTORY).getBytes(UTF_8));

    assertThat(a).isEqualTo(b).hasSameHashCodeAs(b).isNotSameAs(b);
    assertThat(a).isNotEqualTo(sameEntriesOtherBytes);
    assertThat(a.entries()).isEqualTo(sameEntriesOtherBytes.entries());
    assertThat(a.toString()).contains("00000003.history").contains("0/5000158");
  }

  @Test
  void roundTripsThroughContent() {
    TimelineHistoryFile original = tli3History();

    TimelineHistoryFile copy =
        TimelineHistoryFile.parse(original.timeline(), original.fileName(), original.content());

    assertThat(copy).isEqualTo(original);
    assertThat(TimelineHistoryFile.of(TLI_3, original.entries()).entries())
        .isEqualTo(original.entries());
  }

  private static TimelineHistoryFile tli3History() {
    return TimelineHistoryFile.parse(TLI_3, "00000003.history", TLI_3_HISTORY.getBytes(UTF_8));
  }

  private static Entry entry(long parent, String switchPoint, String reason) {
    return new Entry(TimelineId.of(parent), Lsn.parse(switchPoint), reason);
  }
}
