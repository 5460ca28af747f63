// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.wal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.Lsn;
import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import io.jwalreceiver.TimelineId;
import io.jwalreceiver.WalSegmentSize;
import io.jwalreceiver.session.SlotPosition;
import io.jwalreceiver.session.SystemIdentity;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

class StartPositionTest {

  private static final WalSegmentSize SIZE = WalSegmentSize.parseShow("16MB");
  private static final TimelineId TLI_1 = TimelineId.of(1);
  private static final TimelineId TLI_2 = TimelineId.of(2);
  private static final SystemIdentity SERVER =
      new SystemIdentity("7312345678901234567", TLI_2, Lsn.parse("0/5123456"), null);
  private static final ReceiverOptions SLOT = ReceiverOptions.defaults().withSlotName("archive");

  private final List<String> lookups = new ArrayList<>();

  private Supplier<Optional<ResumePoint>> archive(@Nullable ResumePoint p) {
    return () -> {
      lookups.add("archive");
      return Optional.ofNullable(p);
    };
  }

  private Supplier<Optional<SlotPosition>> slot(@Nullable SlotPosition p) {
    return () -> {
      lookups.add("slot");
      return Optional.ofNullable(p);
    };
  }

  private static ResumePoint resume(TimelineId tli, String lsn) {
    return new ResumePoint(tli, Lsn.parse(lsn), "file");
  }

  private static SlotPosition slotAt(TimelineId tli, String lsn) {
    return new SlotPosition("physical", Lsn.parse(lsn), tli);
  }

  @Test
  void anExplicitStartWinsAndLooksNothingUp() {
    StartPosition s =
        StartPosition.decide(
            SLOT.withStart(TLI_1, Lsn.parse("0/2345678")),
            archive(resume(TLI_2, "0/4000000")),
            slot(slotAt(TLI_2, "0/4000000")),
            SERVER,
            SIZE);
    assertThat(s).isEqualTo(new StartPosition(TLI_1, Lsn.parse("0/2000000")));
    assertThat(lookups).isEmpty();
  }

  @Test
  void theArchiveWinsOverTheSlotAndTheServerAndIsScannedFirst() {
    StartPosition s =
        StartPosition.decide(
            SLOT,
            archive(resume(TLI_1, "0/3000000")),
            slot(slotAt(TLI_2, "0/3000028")),
            SERVER,
            SIZE);
    assertThat(s).isEqualTo(new StartPosition(TLI_1, Lsn.parse("0/3000000")));
    assertThat(lookups).containsExactly("archive", "slot");
  }

  @Test
  void refusesToResumeBelowWhatTheSlotStillKeeps() {
    assertThatThrownBy(
            () ->
                StartPosition.decide(
                    SLOT,
                    archive(resume(TLI_1, "0/2000000")),
                    slot(slotAt(TLI_2, "0/3000028")),
                    SERVER,
                    SIZE))
        .isInstanceOf(PgException.class)
        .hasMessage(
            "the archive ends at 0/2000000 but replication slot \"archive\" only keeps WAL from"
                + " 0/3000028")
        .extracting(e -> ((PgException) e).sqlState())
        .isEqualTo(SqlState.INVALID_PARAMETER_VALUE);
  }

  @Test
  void withoutAnArchiveTheSlotsRestartPositionAlignedToItsSegment() {
    StartPosition s =
        StartPosition.decide(SLOT, archive(null), slot(slotAt(TLI_1, "0/3000028")), SERVER, SIZE);
    assertThat(s).isEqualTo(new StartPosition(TLI_1, Lsn.parse("0/3000000")));
  }

  @Test
  void withNeitherTheServersPositionAlignedToItsSegment() {
    StartPosition s = StartPosition.decide(SLOT, archive(null), slot(null), SERVER, SIZE);
    assertThat(s).isEqualTo(new StartPosition(TLI_2, Lsn.parse("0/5000000")));
  }

  @Test
  void refusesATimelineTheServerDoesNotHave() {
    assertThatThrownBy(
            () ->
                StartPosition.decide(
                    SLOT, archive(resume(TimelineId.of(3), "0/6000000")), slot(null), SERVER, SIZE))
        .isInstanceOf(PgException.class)
        .hasMessage("starting timeline 3 is not present in the server");
  }
}
