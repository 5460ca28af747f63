// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.stream.Stream;
import org.bouncycastle.asn1.DERIA5String;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.jspecify.annotations.NullUnmarked;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

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

  private static final String MISMATCH =
      "server certificate for \"%s\" does not match host name \"%s\"";

  static Stream<Arguments> cases() {
    return Stream.of(
        // The case: a name-only certificate reached by IP literal.
        arguments(
            "localhost",
            List.of("dns:localhost"),
            "127.0.0.1",
            "server certificate for \"localhost\" (and 1 other name) does not match host name"
                + " \"127.0.0.1\""),
        arguments("localhost", List.of("dns:localhost"), "localhost", null),
        arguments("localhost", List.of("dns:localhost"), "LOCALHOST", null),
        arguments("localhost", List.of("dns:localhost", "ip:127.0.0.1"), "127.0.0.1", null),
        // IP host: CN still checked when there is no iPAddress SAN (even with dNSName SANs).
        arguments("127.0.0.1", List.of("dns:db.example.com"), "127.0.0.1", null),
        // ...but not once an iPAddress SAN exists.
        arguments(
            "127.0.0.1",
            List.of("ip:10.0.0.1"),
            "127.0.0.1",
            String.format(MISMATCH, "10.0.0.1", "127.0.0.1")),
        // Name host: CN ignored once a dNSName SAN exists, used when only iPAddress SANs exist.
        arguments(
            "db.example.com",
            List.of("dns:other.example.com"),
            "db.example.com",
            String.format(MISMATCH, "other.example.com", "db.example.com")),
        arguments("db.example.com", List.of("ip:10.0.0.1"), "db.example.com", null),
        arguments("db.example.com", List.of(), "db.example.com", null),
        arguments("db.example.com", List.of(), "DB.Example.COM", null),
        // An IP host also matches a dNSName holding its text (libpq compares it as a name).
        arguments(null, List.of("dns:127.0.0.1"), "127.0.0.1", null),
        // Addresses compare as bytes, in inet_aton's and inet_pton's notations.
        arguments(null, List.of("ip:127.0.0.1"), "127.1", null),
        arguments(null, List.of("ip:127.0.0.1"), "0x7f.0.0.1", null),
        arguments(null, List.of("ip:127.0.0.1"), "2130706433", null),
        arguments(null, List.of("ip:::1"), "::1", null),
        arguments(null, List.of("ip:::1"), "0:0:0:0:0:0:0:1", null),
        arguments(null, List.of("ip:2001:db8::1"), "2001:DB8:0::1", null),
        arguments(null, List.of("ip:::ffff:10.1.2.3"), "::ffff:10.1.2.3", null),
        arguments(null, List.of("ip:::1"), "::2", String.format(MISMATCH, "::1", "::2")),
        arguments(
            null,
            List.of("ip:2001:db8::1"),
            "localhost",
            String.format(MISMATCH, "2001:db8::1", "localhost")),
        arguments(
            null,
            List.of("ip:::ffff:10.1.2.3"),
            "::2",
            String.format(MISMATCH, "::ffff:10.1.2.3", "::2")),
        // An IPv4 entry never matches an IPv6 host, nor the other way round.
        arguments(
            null,
            List.of("ip:127.0.0.1"),
            "::ffff:127.0.0.1",
            String.format(MISMATCH, "127.0.0.1", "::ffff:127.0.0.1")),
        // Never a DNS lookup: a name does not match the address it resolves to.
        arguments(
            null,
            List.of("ip:127.0.0.1"),
            "localhost",
            String.format(MISMATCH, "127.0.0.1", "localhost")),
        // Wildcards: only a leading "*." and one label, case-insensitive.
        arguments(null, List.of("dns:*.example.com"), "db.example.com", null),
        arguments(null, List.of("dns:*.example.com"), "DB.EXAMPLE.com", null),
        arguments(
            null,
            List.of("dns:*.example.com"),
            "a.b.example.com",
            String.format(MISMATCH, "*.example.com", "a.b.example.com")),
        arguments(
            null,
            List.of("dns:*.example.com"),
            "example.com",
            String.format(MISMATCH, "*.example.com", "example.com")),
        arguments(
            null,
            List.of("dns:*.example.com"),
            ".example.com",
            String.format(MISMATCH, "*.example.com", ".example.com")),
        arguments(
            null,
            List.of("dns:db*.example.com"),
            "db1.example.com",
            String.format(MISMATCH, "db*.example.com", "db1.example.com")),
        arguments(
            null,
            List.of("dns:db.*.com"),
            "db.example.com",
            String.format(MISMATCH, "db.*.com", "db.example.com")),
        arguments(null, List.of("dns:*"), "localhost", String.format(MISMATCH, "*", "localhost")),
        arguments("*.example.com", List.of(), "db.example.com", null),
        // Several names: the first one examined is shown, with the count of the others.
        arguments(
            "cn.example.com",
            List.of("dns:a.example.com", "dns:b.example.com", "ip:10.0.0.1"),
            "c.example.com",
            "server certificate for \"a.example.com\" (and 2 other names) does not match host"
                + " name \"c.example.com\""),
        arguments(
            "cn.example.com",
            List.of("ip:10.0.0.1", "ip:10.0.0.2"),
            "c.example.com",
            "server certificate for \"10.0.0.1\" (and 2 other names) does not match host name"
                + " \"c.example.com\""),
        // No name at all.
        arguments(
            null,
            List.of(),
            "localhost",
            "could not get server's host name from server certificate"),
        arguments(
            null,
            List.of("uri:https://db.example.com/"),
            "db.example.com",
            "could not get server's host name from server certificate"),
        // Hostile certificates.
        arguments(
            null,
            List.of("dns:db.example.com\0.evil.test"),
            "db.example.com",
            "SSL certificate's name contains embedded null"),
        arguments(
            "db.example.com\0.evil.test",
            List.of(),
            "db.example.com",
            "SSL certificate's name contains embedded null"),
        arguments(
            null,
            List.of("ipraw:7f0000"),
            "127.0.0.1",
            "certificate contains IP address with invalid length 3"),
        // A match before the bad entry wins, as libpq stops at the first match.
        arguments(null, List.of("dns:db.example.com", "ipraw:7f0000"), "db.example.com", null));
  }

  @ParameterizedTest(name = "[{index}] CN={0} SAN={1} host={2}")
  @MethodSource("cases")
  void checksLikeLibpq(String cn, List<String> sans, String host, String error) throws Exception {
    X509Certificate cert = certificate(cn, sans);
    if (error == null) {
      assertThatCode(() -> HostNameCheck.verify(cert, host)).doesNotThrowAnyException();
    } else {
      assertThatThrownBy(() -> HostNameCheck.verify(cert, host))
          .isInstanceOf(PgException.class)
          .hasMessage(error)
          .satisfies(
              e -> assertThat(((PgException) e).sqlState()).isEqualTo(SqlState.CONNECTION_UNABLE));
    }
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
      KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
      generator.initialize(256);
      keys = generator.generateKeyPair();
    }
    return keys;
  }

  private static X509Certificate certificate(String cn, List<String> sans) throws Exception {
    X500NameBuilder subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, "test");
    if (cn != null) {
      subject.addRDN(BCStyle.CN, cn);
    }
    X500Name name = subject.build();
    Instant now = Instant.now();
    X509v3CertificateBuilder builder =
        new JcaX509v3CertificateBuilder(
            name,
            BigInteger.ONE,
            Date.from(now.minus(1, ChronoUnit.DAYS)),
            Date.from(now.plus(1, ChronoUnit.DAYS)),
            name,
            keys().getPublic());
    if (!sans.isEmpty()) {
      List<GeneralName> names = new ArrayList<>();
      for (String san : sans) {
        int colon = san.indexOf(':');
        String kind = san.substring(0, colon);
        String value = san.substring(colon + 1);
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
      builder.addExtension(
          Extension.subjectAlternativeName,
          false,
          new GeneralNames(names.toArray(new GeneralName[0])));
    }
    return new JcaX509CertificateConverter()
        .getCertificate(
            builder.build(
                new JcaContentSignerBuilder("SHA256withECDSA").build(keys().getPrivate())));
  }
}
