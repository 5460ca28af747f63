// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.GeneralName;
import org.jspecify.annotations.NullUnmarked;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * libpq 18's verify-full name check, table-driven over certificates made here with Bouncy Castle:
 * {@code "dns:x"} is a dNSName entry, {@code "ip:x"} an iPAddress entry (its bytes from {@code x}),
 * {@code "ipraw:hex"} an iPAddress entry with exactly those bytes.
 */
// Test code: asserts on results that may be null (a null fails the test) and passes null on
// purpose to probe the documented null handling, so NullAway does not check this class.
@NullUnmarked
class HostNameCheckTest {

  private static KeyPair keys;

  /**
   * CN | subjectAltNames (space-separated) | host | the error, none when the name matches; {@code
   * mismatch: NAME[ (and N other names)]} stands for libpq's mismatch message showing NAME.
   */
  @ParameterizedTest(name = "[{index}] CN={0} SAN={1} host={2}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        // The case: a name-only certificate reached by IP literal.
        "localhost      | dns:localhost    | 127.0.0.1 | mismatch: localhost (and 1 other name)",
        "localhost      | dns:localhost    | localhost |",
        "localhost      | dns:localhost    | LOCALHOST |",
        "localhost      | dns:localhost ip:127.0.0.1 | 127.0.0.1 |",
        // IP host: CN still checked when there is no iPAddress SAN (even with dNSName SANs).
        "127.0.0.1      | dns:db.example.com | 127.0.0.1 |",
        // ...but not once an iPAddress SAN exists.
        "127.0.0.1      | ip:10.0.0.1      | 127.0.0.1      | mismatch: 10.0.0.1",
        // Name host: CN ignored once a dNSName SAN exists, used when only iPAddress SANs exist.
        "db.example.com | dns:other.example.com | db.example.com | mismatch: other.example.com",
        "db.example.com | ip:10.0.0.1      | db.example.com |",
        "db.example.com |                  | db.example.com |",
        "db.example.com |                  | DB.Example.COM |",
        // An IP host also matches a dNSName holding its text (libpq compares it as a name).
        "               | dns:127.0.0.1    | 127.0.0.1      |",
        // Addresses compare as bytes, in inet_aton's and inet_pton's notations.
        "               | ip:127.0.0.1     | 127.1          |",
        "               | ip:127.0.0.1     | 0x7f.0.0.1     |",
        "               | ip:127.0.0.1     | 2130706433     |",
        "               | ip:::1           | ::1            |",
        "               | ip:::1           | 0:0:0:0:0:0:0:1 |",
        "               | ip:2001:db8::1   | 2001:DB8:0::1  |",
        "               | ip:::ffff:10.1.2.3 | ::ffff:10.1.2.3 |",
        "               | ip:::1           | ::2            | mismatch: ::1",
        "               | ip:2001:db8::1   | localhost      | mismatch: 2001:db8::1",
        "               | ip:::ffff:10.1.2.3 | ::2          | mismatch: ::ffff:10.1.2.3",
        // An IPv4 entry never matches an IPv6 host, nor the other way round.
        "               | ip:127.0.0.1     | ::ffff:127.0.0.1 | mismatch: 127.0.0.1",
        // Never a DNS lookup: a name does not match the address it resolves to.
        "               | ip:127.0.0.1     | localhost      | mismatch: 127.0.0.1",
        // Wildcards: only a leading "*." and one label, case-insensitive.
        "               | dns:*.example.com | db.example.com |",
        "               | dns:*.example.com | DB.EXAMPLE.com |",
        "               | dns:*.example.com | a.b.example.com | mismatch: *.example.com",
        "               | dns:*.example.com | example.com   | mismatch: *.example.com",
        "               | dns:*.example.com | .example.com  | mismatch: *.example.com",
        "               | dns:db*.example.com | db1.example.com | mismatch: db*.example.com",
        "               | dns:db.*.com     | db.example.com | mismatch: db.*.com",
        "               | dns:*            | localhost      | mismatch: *",
        "*.example.com  |                  | db.example.com |",
        // Several names: the first one examined is shown, with the count of the others.
        "cn.example.com | dns:a.example.com dns:b.example.com ip:10.0.0.1 | c.example.com"
            + " | mismatch: a.example.com (and 2 other names)",
        "cn.example.com | ip:10.0.0.1 ip:10.0.0.2 | c.example.com"
            + " | mismatch: 10.0.0.1 (and 2 other names)",
        // No name at all.
        "               |                  | localhost      | " + NO_NAME,
        "               | uri:https://db.example.com/ | db.example.com | " + NO_NAME,
        // Hostile certificates.
        "               | dns:db.example.com\\0.evil.test | db.example.com | " + EMBEDDED_NULL,
        "db.example.com\\0.evil.test |     | db.example.com | " + EMBEDDED_NULL,
        "               | ipraw:7f0000     | 127.0.0.1      |"
            + " certificate contains IP address with invalid length 3",
        // A match before the bad entry wins, as libpq stops at the first match.
        "               | dns:db.example.com ipraw:7f0000 | db.example.com |",
      })
  void checksLikeLibpq(String cn, String sans, String host, String error) throws Exception {
    X509Certificate cert =
        certificate(unescapeNul(cn), sans == null ? List.of() : List.of(sans.split(" ")));
    if (error == null) {
      assertThatCode(() -> HostNameCheck.verify(cert, host)).doesNotThrowAnyException();
    } else {
      assertThatThrownBy(() -> HostNameCheck.verify(cert, host))
          .isInstanceOf(PgException.class)
          .hasMessage(expectedMessage(error, host))
          .satisfies(
              e -> assertThat(((PgException) e).sqlState()).isEqualTo(SqlState.CONNECTION_UNABLE));
    }
  }

  private static final String NO_NAME = "could not get server's host name from server certificate";
  private static final String EMBEDDED_NULL = "SSL certificate's name contains embedded null";

  /** libpq's message for {@code error} as the table writes it. */
  private static String expectedMessage(String error, String host) {
    if (!error.startsWith("mismatch: ")) {
      return error;
    }
    String shown = error.substring("mismatch: ".length());
    int others = shown.indexOf(' ');
    String name = others < 0 ? shown : shown.substring(0, others);
    String count = others < 0 ? "" : shown.substring(others);
    return "server certificate for \""
        + name
        + "\""
        + count
        + " does not match host name \""
        + host
        + "\"";
  }

  /** The table writes a NUL inside a name as {@code \0}. */
  private static String unescapeNul(String text) {
    return text == null ? null : text.replace("\\0", "\0");
  }

  @Test
  void refusesAnEmptyHost() throws Exception {
    X509Certificate cert = certificate("localhost", List.of("dns:localhost"));
    assertThatThrownBy(() -> HostNameCheck.verify(cert, ""))
        .hasMessage("host name must be specified for a verified SSL connection");
  }

  @Test
  void takesHostsForAddressesAsLibcDoes() {
    assertThat(HostNameCheck.isIpAddress("127.0.0.1")).isTrue();
    assertThat(HostNameCheck.isIpAddress("10.1")).isTrue();
    assertThat(HostNameCheck.isIpAddress("017.0.0.1")).isTrue();
    assertThat(HostNameCheck.parseIpv4("017.0.0.1")).containsExactly(15, 0, 0, 1);
    assertThat(HostNameCheck.isIpAddress("09.0.0.1")).isFalse();
    assertThat(HostNameCheck.isIpAddress("256.0.0.1")).isFalse();
    assertThat(HostNameCheck.isIpAddress("1.2.3.4.5")).isFalse();
    assertThat(HostNameCheck.isIpAddress("db1.example.com")).isFalse();
    assertThat(HostNameCheck.isIpAddress("::")).isTrue();
    assertThat(HostNameCheck.isIpAddress("fe80::1%eth0")).isFalse();
    assertThat(HostNameCheck.isIpAddress("[::1]")).isFalse();
    assertThat(HostNameCheck.isIpAddress("1:2:3:4:5:6:7:8:9")).isFalse();
    assertThat(HostNameCheck.isIpAddress("1::2::3")).isFalse();
    assertThat(HostNameCheck.isIpAddress("::ffff:1.2.3")).isFalse();
  }

  @Test
  void printsAddressesAsLibpqDoes() {
    assertThat(HostNameCheck.formatAddress(HostNameCheck.parseIpv6("2001:db8:0:0:1:0:0:1")))
        .isEqualTo("2001:db8::1:0:0:1");
    assertThat(HostNameCheck.formatAddress(HostNameCheck.parseIpv6("::"))).isEqualTo("::");
    assertThat(HostNameCheck.formatAddress(HostNameCheck.parseIpv6("fe80::"))).isEqualTo("fe80::");
    assertThat(HostNameCheck.formatAddress(HostNameCheck.parseIpv6("1:0:2:3:4:5:6:7")))
        .isEqualTo("1:0:2:3:4:5:6:7");
  }

  private static synchronized KeyPair keys() throws Exception {
    if (keys == null) {
      keys = SelfSignedCertificates.keys("EC");
    }
    return keys;
  }

  private static X509Certificate certificate(String cn, List<String> sans) throws Exception {
    X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "test");
    if (cn != null) {
      subject.addRDN(BCStyle.CN, cn);
    }
    List<GeneralName> names = new ArrayList<>();
    for (String san : sans) {
      int colon = san.indexOf(':');
      String kind = san.substring(0, colon);
      String value = unescapeNul(san.substring(colon + 1));
      names.add(
          switch (kind) {
            case "dns" -> new GeneralName(GeneralName.dNSName, new DERIA5String(value));
            case "ip" -> new GeneralName(GeneralName.iPAddress, value);
            case "ipraw" ->
                new GeneralName(
                    GeneralName.iPAddress,
                    new DEROctetString(new BigInteger(value, 16).toByteArray()));
            case "uri" -> new GeneralName(GeneralName.uniformResourceIdentifier, value);
            default -> throw new IllegalArgumentException(san);
          });
    }
    return SelfSignedCertificates.selfSigned(subject.build(), keys(), names);
  }
}
