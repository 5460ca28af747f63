// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.session;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.AttributeTypeAndValue;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.jspecify.annotations.Nullable;

/**
 * libpq's {@code sslmode=verify-full} host check (libpq 18, OpenSSL build), done on the
 * certificate's own bytes and never through DNS.
 *
 * <ul>
 *   <li>The host is an IP address when {@code inet_aton} (IPv4, including its short and
 *       hexadecimal/octal forms) or {@code inet_pton} (IPv6) accepts it; otherwise it is a name.
 *   <li>Every subjectAltName of type dNSName or iPAddress is compared, in order, until one matches:
 *       a dNSName by case-insensitive equality or a leading {@code *.} wildcard that covers exactly
 *       one label; an iPAddress by its bytes, against the host parsed as an address of the same
 *       length (so a name host never matches an iPAddress entry).
 *   <li>The subject's first common name is compared (as a name) only when no subjectAltName has the
 *       host's kind: a name host ignores the CN when there is any dNSName entry, an IP host when
 *       there is any iPAddress entry (even when dNSName entries exist).
 *   <li>A name with an embedded NUL, or an iPAddress entry that is neither 4 nor 16 bytes long,
 *       fails the check with libpq's message instead of being skipped.
 * </ul>
 */
final class HostNameCheck {

  private HostNameCheck() {}

  /**
   * Checks the server certificate against the host the user named ({@code host}, never {@code
   * hostaddr}).
   *
   * @throws PgException 08001 with libpq's message when the certificate does not name the host
   */
  static void verify(X509Certificate cert, String host) {
    if (host == null || host.isEmpty()) {
      throw fail("host name must be specified for a verified SSL connection");
    }
    boolean hostIsIp = isIpAddress(host);
    int examined = 0;
    String firstName = null;
    boolean checkCommonName = true;
    for (GeneralName name : subjectAltNames(cert)) {
      int tag = name.getTagNo();
      if (tag != GeneralName.dNSName && tag != GeneralName.iPAddress) {
        continue;
      }
      if (tag == (hostIsIp ? GeneralName.iPAddress : GeneralName.dNSName)) {
        checkCommonName = false;
      }
      examined++;
      String shown;
      boolean match;
      if (tag == GeneralName.dNSName) {
        shown = stringValue(name.getName());
        match = nameMatches(shown, host);
      } else {
        byte[] address = ASN1OctetString.getInstance(name.getName()).getOctets();
        if (address.length != 4 && address.length != 16) {
          throw fail("certificate contains IP address with invalid length " + address.length);
        }
        shown = formatAddress(address);
        byte[] hostAddress = address.length == 4 ? parseIpv4(host) : parseIpv6(host);
        match = hostAddress != null && Arrays.equals(address, hostAddress);
      }
      if (firstName == null) {
        firstName = shown;
      }
      if (match) {
        return;
      }
    }
    if (checkCommonName) {
      String cn = firstCommonName(cert);
      if (cn != null) {
        examined++;
        if (firstName == null) {
          firstName = cn;
        }
        if (nameMatches(cn, host)) {
          return;
        }
      }
    }
    if (examined == 0) {
      throw fail("could not get server's host name from server certificate");
    }
    if (examined == 1) {
      throw fail(
          "server certificate for \"" + firstName + "\" does not match host name \"" + host + "\"");
    }
    int others = examined - 1;
    throw fail(
        "server certificate for \""
            + firstName
            + "\" (and "
            + others
            + " other name"
            + (others == 1 ? "" : "s")
            + ") does not match host name \""
            + host
            + "\"");
  }

  /** A certificate name against the host: exact (ignoring case) or a {@code *.} wildcard. */
  private static boolean nameMatches(String name, String host) {
    if (name.indexOf('\0') >= 0) {
      throw fail("SSL certificate's name contains embedded null");
    }
    return asciiEqualsIgnoreCase(name, host) || wildcardMatches(name, host);
  }

  /**
   * libpq's wildcard rule: the pattern starts with {@code *.}, and the star stands for one or more
   * characters of the host's first label (never a dot).
   */
  static boolean wildcardMatches(String pattern, String host) {
    if (pattern.length() < 3 || pattern.charAt(0) != '*' || pattern.charAt(1) != '.') {
      return false;
    }
    if (pattern.length() > host.length()) {
      return false;
    }
    int cut = host.length() - pattern.length(); // the star covers host[0, cut]
    if (!asciiEqualsIgnoreCase(pattern.substring(1), host.substring(cut + 1))) {
      return false;
    }
    // libpq rejects a dot left of host[cut]; host[cut] itself is not looked at.
    int firstDot = host.indexOf('.');
    return firstDot >= cut;
  }

  /** {@code pg_strcasecmp} equality: only ASCII letters fold. */
  private static boolean asciiEqualsIgnoreCase(String a, String b) {
    if (a.length() != b.length()) {
      return false;
    }
    for (int k = 0; k < a.length(); k++) {
      if (asciiLower(a.charAt(k)) != asciiLower(b.charAt(k))) {
        return false;
      }
    }
    return true;
  }

  private static char asciiLower(char c) {
    return c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c;
  }

  private static Iterable<GeneralName> subjectAltNames(X509Certificate cert) {
    byte[] ext = cert.getExtensionValue(Extension.subjectAlternativeName.getId());
    if (ext == null) {
      return List.of();
    }
    try {
      byte[] inner = ASN1OctetString.getInstance(ext).getOctets();
      return List.of(GeneralNames.getInstance(inner).getNames());
    } catch (IllegalArgumentException e) {
      throw fail("could not get server's host name from server certificate");
    }
  }

  private static @Nullable String firstCommonName(X509Certificate cert) {
    X500Name subject = X500Name.getInstance(cert.getSubjectX500Principal().getEncoded());
    for (RDN rdn : subject.getRDNs()) {
      for (AttributeTypeAndValue atv : rdn.getTypesAndValues()) {
        if (atv.getType().equals(BCStyle.CN)) {
          return stringValue(atv.getValue());
        }
      }
    }
    return null;
  }

  private static String stringValue(ASN1Encodable value) {
    if (value instanceof ASN1String s) {
      return s.getString();
    }
    try {
      return new String(value.toASN1Primitive().getEncoded(), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      return value.toString();
    }
  }

  // ---------------------------------------------------------------- addresses as libc parses them

  /** True when libpq takes the host for an address: {@code inet_aton} or IPv6 {@code inet_pton}. */
  static boolean isIpAddress(String host) {
    return parseIpv4(host) != null || parseIpv6(host) != null;
  }

  /**
   * glibc's {@code inet_aton}: one to four parts separated by dots, each decimal, octal (leading 0)
   * or hexadecimal (0x), the last part filling the remaining bytes; text after the address is
   * accepted only after white space.
   */
  static byte @Nullable [] parseIpv4(String s) {
    long[] parts = new long[4];
    int count = 0;
    int i = 0;
    int n = s.length();
    while (true) {
      if (i >= n || !isDigit(s.charAt(i))) {
        return null;
      }
      int base = 10;
      if (s.charAt(i) == '0') {
        if (i + 1 < n && (s.charAt(i + 1) == 'x' || s.charAt(i + 1) == 'X')) {
          base = 16;
          i += 2;
        } else {
          base = 8;
          i++;
        }
      }
      long value = 0;
      while (i < n) {
        char c = s.charAt(i);
        int digit = Character.digit(c, base);
        if (digit < 0 || (base != 16 && !isDigit(c))) {
          if (base == 8 && isDigit(c)) {
            return null; // 8 or 9 in an octal part
          }
          break;
        }
        value = value * base + digit;
        if (value > 0xFFFFFFFFL) {
          return null;
        }
        i++;
      }
      if (count == 4) {
        return null;
      }
      parts[count++] = value;
      if (i < n && s.charAt(i) == '.') {
        i++;
        continue;
      }
      break;
    }
    if ((i < n && !Character.isWhitespace(s.charAt(i))) || (i < n && s.charAt(i) > 127)) {
      return null;
    }
    long address;
    switch (count) {
      case 1 -> address = parts[0];
      case 2 -> {
        if (parts[0] > 0xFF || parts[1] > 0xFFFFFF) {
          return null;
        }
        address = parts[0] << 24 | parts[1];
      }
      case 3 -> {
        if (parts[0] > 0xFF || parts[1] > 0xFF || parts[2] > 0xFFFF) {
          return null;
        }
        address = parts[0] << 24 | parts[1] << 16 | parts[2];
      }
      default -> {
        for (int k = 0; k < 4; k++) {
          if (parts[k] > 0xFF) {
            return null;
          }
        }
        address = parts[0] << 24 | parts[1] << 16 | parts[2] << 8 | parts[3];
      }
    }
    return new byte[] {
      (byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address
    };
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  /**
   * {@code inet_pton(AF_INET6)}: eight groups of one to four hex digits, one {@code ::} for a run
   * of zero groups, and optionally a dotted-quad IPv4 address (strictly four decimal parts) as the
   * last 32 bits. No brackets, no zone.
   */
  static byte @Nullable [] parseIpv6(String s) {
    if (s.indexOf(':') < 0) {
      return null;
    }
    byte[] out = new byte[16];
    int pos = 0; // next byte to write
    int gap = -1; // byte index where "::" was
    int i = 0;
    int n = s.length();
    if (s.startsWith("::")) {
      gap = 0;
      i = 2;
      if (i == n) {
        return out;
      }
    } else if (s.startsWith(":")) {
      return null;
    }
    while (i < n) {
      int start = i;
      int value = 0;
      while (i < n && Character.digit(s.charAt(i), 16) >= 0 && i - start < 5) {
        value = value * 16 + Character.digit(s.charAt(i), 16);
        i++;
      }
      int len = i - start;
      if (i < n && s.charAt(i) == '.') {
        byte[] v4 = strictIpv4(s.substring(start));
        if (v4 == null || pos + 4 > 16) {
          return null;
        }
        System.arraycopy(v4, 0, out, pos, 4);
        pos += 4;
        i = n;
        break;
      }
      if (len == 0 || len > 4 || pos + 2 > 16) {
        return null;
      }
      out[pos++] = (byte) (value >>> 8);
      out[pos++] = (byte) value;
      if (i == n) {
        break;
      }
      if (s.charAt(i) != ':') {
        return null;
      }
      i++;
      if (i < n && s.charAt(i) == ':') {
        if (gap >= 0) {
          return null;
        }
        gap = pos;
        i++;
        if (i == n) {
          break;
        }
      } else if (i == n) {
        return null; // trailing single colon
      }
    }
    if (gap >= 0) {
      if (pos == 16) {
        return null;
      }
      int tail = pos - gap;
      System.arraycopy(out, gap, out, 16 - tail, tail);
      Arrays.fill(out, gap, 16 - tail, (byte) 0);
    } else if (pos != 16) {
      return null;
    }
    return out;
  }

  /** Four decimal parts of 0–255, as inet_pton's IPv4 tail wants (no leading zeros). */
  private static byte @Nullable [] strictIpv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return null;
    }
    byte[] out = new byte[4];
    for (int k = 0; k < 4; k++) {
      String p = parts[k];
      if (p.isEmpty()
          || p.length() > 3
          || !p.chars().allMatch(c -> c >= '0' && c <= '9')
          || (p.length() > 1 && p.charAt(0) == '0')) {
        return null;
      }
      int v = Integer.parseInt(p);
      if (v > 255) {
        return null;
      }
      out[k] = (byte) v;
    }
    return out;
  }

  /** The address as libpq prints it: dotted quad, or RFC 5952-style compressed IPv6. */
  static String formatAddress(byte[] a) {
    if (a.length == 4) {
      return (a[0] & 0xFF) + "." + (a[1] & 0xFF) + "." + (a[2] & 0xFF) + "." + (a[3] & 0xFF);
    }
    int[] words = new int[8];
    for (int k = 0; k < 8; k++) {
      words[k] = (a[2 * k] & 0xFF) << 8 | (a[2 * k + 1] & 0xFF);
    }
    int bestStart = -1;
    int bestLen = 0;
    for (int k = 0; k < 8; ) {
      if (words[k] != 0) {
        k++;
        continue;
      }
      int start = k;
      while (k < 8 && words[k] == 0) {
        k++;
      }
      if (k - start > bestLen) {
        bestStart = start;
        bestLen = k - start;
      }
    }
    if (bestLen < 2) {
      bestStart = -1;
    }
    StringBuilder out = new StringBuilder();
    for (int k = 0; k < 8; k++) {
      if (bestStart >= 0 && k >= bestStart && k < bestStart + bestLen) {
        if (k == bestStart) {
          out.append(':');
        }
        continue;
      }
      if (k != 0) {
        out.append(':');
      }
      if (k == 6 && bestStart == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xFFFF))) {
        out.append(a[12] & 0xFF)
            .append('.')
            .append(a[13] & 0xFF)
            .append('.')
            .append(a[14] & 0xFF)
            .append('.')
            .append(a[15] & 0xFF);
        break;
      }
      out.append(Integer.toHexString(words[k]));
    }
    if (bestStart >= 0 && bestStart + bestLen == 8) {
      out.append(':');
    }
    return out.toString();
  }

  private static PgException fail(String message) {
    return new PgException(SqlState.CONNECTION_UNABLE, message);
  }
}
