// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.tar;

import io.jwalreceiver.PgException;
import io.jwalreceiver.SqlState;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;

/**
 * One tar member header: the fields of a 512-byte ustar block (protocol-notes §5.4), after any pax
 * ({@code x}) or GNU long-name ({@code L}, {@code K}) extension that preceded it has been applied
 * by {@link TarReader}.
 *
 * <pre>
 * offset len  field      as PostgreSQL's server writes it (src/port/tar.c tarCreateHeader)
 * ------ ---  ---------  ------------------------------------------------------------------
 *      0 100  name       NUL-terminated, at most 99 bytes; directories and symlinks end in '/'
 *    100   8  mode       7 octal digits + ' ', permission bits only (mode &amp; 07777)
 *    108   8  uid        7 octal digits + ' '
 *    116   8  gid        7 octal digits + ' '
 *    124  12  size       11 octal digits + ' '; from 8 GiB on GNU base-256: 0x80, then
 *                        11 bytes big-endian binary; 0 for directories and symlinks
 *    136  12  mtime      11 octal digits + ' ', seconds since 1970-01-01 UTC
 *    148   8  chksum     7 octal digits + ' ': unsigned sum of all 512 bytes, this field
 *                        counted as 8 spaces
 *    156   1  typeflag   '0' file, '5' directory, '2' symlink
 *    157 100  linkname   symlink target, NUL-terminated
 *    257   6  magic      "ustar\0"          (GNU tar: "ustar " with version " \0")
 *    263   2  version    "00"
 *    265  32  uname      "postgres"
 *    297  32  gname      "postgres"
 *    329   8  devmajor   "0000000 "
 *    337   8  devminor   "0000000 "
 *    345 155  prefix     all NUL (ustar: directory part of a long name, joined with '/')
 *    500  12  (padding)  all NUL
 * </pre>
 *
 * <p>Numbers are parsed as octal (leading spaces allowed, ended by a space or NUL) or as GNU
 * base-256 (first byte 0x80, or 0xFF for a negative two's complement value). Names are decoded as
 * UTF-8, which is what pax mandates and what PostgreSQL's ASCII member names are a subset of.
 *
 * @param name the member name as stored, ustar prefix joined, no normalisation: {@code ..}
 *     components, a leading {@code /} or {@code ./} are left for the sink to judge
 * @param mode permission bits, 0 to 07777
 * @param uid owner user id
 * @param gid owner group id
 * @param size bytes of data following the header (before padding to 512)
 * @param mtime modification time, seconds since the epoch
 * @param typeflag the type byte, for example {@link #REGULAR} or {@link #DIRECTORY}
 * @param linkname symlink or hard-link target, empty when there is none
 */
public record TarHeader(
    String name,
    int mode,
    long uid,
    long gid,
    long size,
    long mtime,
    char typeflag,
    String linkname) {

  /** Size of a header block and the unit data is padded to. */
  public static final int BLOCK_SIZE = 512;

  /** Regular file. */
  public static final char REGULAR = '0';

  /** Regular file in pre-POSIX archives. */
  public static final char REGULAR_OLD = '\0';

  /** Hard link to {@link #linkname()}. */
  public static final char HARD_LINK = '1';

  /** Symbolic link to {@link #linkname()}. */
  public static final char SYMLINK = '2';

  /** Directory. */
  public static final char DIRECTORY = '5';

  /** Contiguous file, read as a regular file. */
  public static final char CONTIGUOUS = '7';

  /** Pax extended header for the next member. */
  public static final char PAX_EXTENDED = 'x';

  /** Pax global extended header. */
  public static final char PAX_GLOBAL = 'g';

  /** GNU long name for the next member. */
  public static final char GNU_LONG_NAME = 'L';

  /** GNU long link name for the next member. */
  public static final char GNU_LONG_LINK = 'K';

  // Field offsets and lengths of the ustar block.
  static final int NAME = 0;
  static final int NAME_LEN = 100;
  static final int MODE = 100;
  static final int UID = 108;
  static final int GID = 116;
  static final int SIZE = 124;
  static final int MTIME = 136;
  static final int CHKSUM = 148;
  static final int TYPEFLAG = 156;
  static final int LINKNAME = 157;
  static final int MAGIC = 257;
  static final int VERSION = 263;
  static final int UNAME = 265;
  static final int GNAME = 297;
  static final int DEVMAJOR = 329;
  static final int DEVMINOR = 337;
  static final int PREFIX = 345;
  static final int PREFIX_LEN = 155;

  private static final byte[] POSIX_MAGIC = {'u', 's', 't', 'a', 'r', 0, '0', '0'};
  private static final byte[] GNU_MAGIC = {'u', 's', 't', 'a', 'r', ' ', ' ', 0};
  private static final byte[] OWNER = "postgres".getBytes(StandardCharsets.US_ASCII);

  /** Validates the fields; names are not checked for safety here. */
  public TarHeader {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(linkname, "linkname");
    if (mode < 0 || mode > 07777) {
      throw new IllegalArgumentException("mode out of range: " + Integer.toOctalString(mode));
    }
    if (size < 0) {
      throw new IllegalArgumentException("negative size: " + size);
    }
    if (uid < 0 || gid < 0) {
      throw new IllegalArgumentException("negative uid or gid: " + uid + ", " + gid);
    }
  }

  /**
   * A regular file header, as the server writes one.
   *
   * @param mtime seconds since the epoch
   */
  public static TarHeader regularFile(
      String name, long size, int mode, long uid, long gid, long mtime) {
    return new TarHeader(name, mode & 07777, uid, gid, size, mtime, REGULAR, "");
  }

  /**
   * A directory header; like the server, a {@code /} is appended to the name unless present.
   *
   * @param mtime seconds since the epoch
   */
  public static TarHeader directory(String name, int mode, long uid, long gid, long mtime) {
    return new TarHeader(withSlash(name), mode & 07777, uid, gid, 0, mtime, DIRECTORY, "");
  }

  /**
   * A symbolic link header; like the server (which only links to directories: {@code
   * pg_tblspc/<oid>}), a {@code /} is appended to the name unless present.
   *
   * @param mtime seconds since the epoch
   */
  public static TarHeader symlink(
      String name, String target, int mode, long uid, long gid, long mtime) {
    return new TarHeader(withSlash(name), mode & 07777, uid, gid, 0, mtime, SYMLINK, target);
  }

  private static String withSlash(String name) {
    return name.endsWith("/") ? name : name + "/";
  }

  /** True for {@code '0'}, {@code '\0'} and {@code '7'}: a member whose data is file content. */
  public boolean isRegularFile() {
    return typeflag == REGULAR || typeflag == REGULAR_OLD || typeflag == CONTIGUOUS;
  }

  /** True for typeflag {@code '5'}. */
  public boolean isDirectory() {
    return typeflag == DIRECTORY;
  }

  /** True for typeflag {@code '2'}. */
  public boolean isSymlink() {
    return typeflag == SYMLINK;
  }

  /**
   * True for the extension types {@code x}, {@code g}, {@code L} and {@code K}, whose data
   * describes the next member rather than being a member itself.
   */
  public boolean isExtension() {
    return typeflag == PAX_EXTENDED
        || typeflag == PAX_GLOBAL
        || typeflag == GNU_LONG_NAME
        || typeflag == GNU_LONG_LINK;
  }

  /** The modification time as an instant. */
  public Instant modified() {
    return Instant.ofEpochSecond(mtime);
  }

  /** Bytes of zero padding that follow {@code size} bytes of data. */
  public int padding() {
    return padding(size);
  }

  /** Bytes of zero padding after {@code size} bytes of data, to the next 512 boundary. */
  public static int padding(long size) {
    return (int) (-size & (BLOCK_SIZE - 1));
  }

  // ---------------------------------------------------------------------------------------
  // Decoding

  /**
   * True when the 512 bytes at the buffer's position are all zero: one half of the end-of-archive
   * marker. Absolute reads; the position does not move.
   */
  public static boolean isZeroBlock(ByteBuffer block) {
    int p = block.position();
    for (int i = 0; i < BLOCK_SIZE; i++) {
      if (block.get(p + i) != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Parses the 512-byte header at the buffer's position (absolute reads; the position does not
   * move) and verifies its checksum and magic.
   *
   * @param offset the block's offset in the archive, for error messages
   * @throws PgException 08P01 for a bad checksum, an unknown magic or an unparsable number
   * @throws IllegalArgumentException when fewer than 512 bytes remain
   */
  public static TarHeader parse(ByteBuffer block, long offset) {
    if (block.remaining() < BLOCK_SIZE) {
      throw new IllegalArgumentException("need 512 bytes, have " + block.remaining());
    }
    int p = block.position();
    verifyChecksum(block, p, offset);
    boolean gnu = matches(block, p + MAGIC, GNU_MAGIC);
    if (!gnu && !matches(block, p + MAGIC, POSIX_MAGIC)) {
      throw badMagic(block, p, offset);
    }
    String name = string(block, p + NAME, NAME_LEN);
    if (!gnu) {
      // In GNU's old format the prefix area holds atime/ctime and sparse maps instead.
      String prefix = string(block, p + PREFIX, PREFIX_LEN);
      if (!prefix.isEmpty()) {
        name = prefix + "/" + name;
      }
    }
    long mode = number(block, p, MODE, 8, "mode", offset);
    long uid = number(block, p, UID, 8, "uid", offset);
    long gid = number(block, p, GID, 8, "gid", offset);
    long size = number(block, p, SIZE, 12, "size", offset);
    long mtime = number(block, p, MTIME, 12, "mtime", offset);
    if (size < 0 || uid < 0 || gid < 0) {
      throw violation("invalid tar header at offset " + offset + ": negative size, uid or gid");
    }
    char typeflag = (char) (block.get(p + TYPEFLAG) & 0xff);
    String linkname = string(block, p + LINKNAME, NAME_LEN);
    // Some writers keep the file-type bits (S_IFREG, S_IFDIR) in the mode field.
    return new TarHeader(name, (int) (mode & 07777), uid, gid, size, mtime, typeflag, linkname);
  }

  private static void verifyChecksum(ByteBuffer block, int p, long offset) {
    long stored = number(block, p, CHKSUM, 8, "chksum", offset);
    long unsigned = 8 * ' ';
    long signed = 8 * ' ';
    for (int i = 0; i < BLOCK_SIZE; i++) {
      if (i < CHKSUM || i >= CHKSUM + 8) {
        byte b = block.get(p + i);
        unsigned += b & 0xff;
        signed += b;
      }
    }
    // POSIX says unsigned; some historic tars summed signed chars, and GNU tar accepts both.
    if (stored != unsigned && stored != signed) {
      throw violation(
          "invalid tar header checksum at offset "
              + offset
              + ": stored "
              + Long.toOctalString(stored)
              + ", computed "
              + Long.toOctalString(unsigned));
    }
  }

  private static PgException badMagic(ByteBuffer block, int p, long offset) {
    StringBuilder seen = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      int b = block.get(p + MAGIC + i) & 0xff;
      if (b >= 0x20 && b < 0x7f && b != '\\') {
        seen.append((char) b);
      } else {
        seen.append(String.format(Locale.ROOT, "\\x%02x", b));
      }
    }
    return violation("invalid tar header at offset " + offset + ": unknown magic \"" + seen + "\"");
  }

  private static boolean matches(ByteBuffer block, int at, byte[] expected) {
    for (int i = 0; i < expected.length; i++) {
      if (block.get(at + i) != expected[i]) {
        return false;
      }
    }
    return true;
  }

  /** The bytes up to the first NUL (or the whole field), as UTF-8. */
  private static String string(ByteBuffer block, int at, int len) {
    int n = 0;
    while (n < len && block.get(at + n) != 0) {
      n++;
    }
    byte[] bytes = new byte[n];
    block.get(at, bytes);
    return new String(bytes, StandardCharsets.UTF_8);
  }

  /**
   * One numeric field: octal digits, optionally preceded by spaces and ended by spaces or NULs (an
   * empty field reads as 0), or GNU base-256 when the first byte has its high bit set.
   */
  static long number(ByteBuffer block, int p, int field, int len, String what, long offset) {
    int at = p + field;
    int first = block.get(at) & 0xff;
    if (first == 0x80 || first == 0xff) {
      // Base-256: the remaining len-1 bytes, big-endian; 0xff marks a negative value (the
      // whole field in two's complement). Before each shift the top 9 bits must still be all
      // sign bits, or the value does not fit a long: a 12-byte field holds 88 bits.
      long sign = first == 0xff ? -1 : 0;
      long v = sign;
      for (int i = 1; i < len; i++) {
        if ((v >> 55) != sign) {
          throw badNumber(what, offset, "base-256 value exceeds 63 bits");
        }
        v = (v << 8) | (block.get(at + i) & 0xff);
      }
      return v;
    }
    int i = 0;
    while (i < len && block.get(at + i) == ' ') {
      i++;
    }
    long v = 0;
    int digits = 0;
    for (; i < len; i++) {
      byte b = block.get(at + i);
      if (b < '0' || b > '7') {
        break;
      }
      v = (v << 3) | (b - '0');
      digits++;
    }
    // Twelve bytes hold at most 12 octal digits (36 bits), so v cannot overflow here.
    for (; i < len; i++) {
      byte b = block.get(at + i);
      if (b != ' ' && b != 0) {
        throw badNumber(what, offset, "invalid octal digit 0x" + Integer.toHexString(b & 0xff));
      }
    }
    return digits == 0 ? 0 : v;
  }

  /** A malformed archive from the server: SQLSTATE 08P01. */
  static PgException violation(String message) {
    return new PgException(SqlState.PROTOCOL_VIOLATION, message);
  }

  private static PgException badNumber(String what, long offset, String why) {
    return violation("invalid tar header at offset " + offset + ": field " + what + ": " + why);
  }

  // ---------------------------------------------------------------------------------------
  // Encoding

  /**
   * The 512-byte header exactly as PostgreSQL's {@code tarCreateHeader} writes it: ustar magic,
   * owner names {@code postgres}, zero device numbers, empty prefix, numbers in octal or (when too
   * large) base-256. The name is written as stored: the factories add the trailing {@code /} the
   * server puts on directories and symlinks.
   *
   * @throws IllegalArgumentException when the name or link name exceeds 100 bytes in UTF-8 (the
   *     server refuses those too; {@link TarWriter} emits a pax header for them), or mtime is
   *     negative
   */
  public byte[] encode() {
    byte[] h = new byte[BLOCK_SIZE];
    encode(ByteBuffer.wrap(h));
    return h;
  }

  /**
   * Writes {@link #encode()}'s 512 bytes at the buffer's position and advances it.
   *
   * @throws java.nio.BufferOverflowException when fewer than 512 bytes remain
   */
  public void encode(ByteBuffer dst) {
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    byte[] linkBytes = linkname.getBytes(StandardCharsets.UTF_8);
    if (nameBytes.length > NAME_LEN) {
      throw new IllegalArgumentException("file name too long for tar format: \"" + name + "\"");
    }
    if (linkBytes.length > NAME_LEN) {
      throw new IllegalArgumentException(
          "symbolic link target too long for tar format: file name \""
              + name
              + "\", target \""
              + linkname
              + "\"");
    }
    encodeFields(dst, nameBytes, linkBytes);
  }

  /**
   * Like {@link #encode(ByteBuffer)}, but names longer than the field are cut to their first bytes:
   * used by {@link TarWriter} after a pax header has carried the full names.
   */
  void encodeTruncated(ByteBuffer dst) {
    encodeFields(
        dst,
        truncated(name.getBytes(StandardCharsets.UTF_8)),
        truncated(linkname.getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] truncated(byte[] b) {
    if (b.length <= NAME_LEN) {
      return b;
    }
    // Cut before a UTF-8 continuation byte so the fallback name stays decodable.
    int n = NAME_LEN;
    while (n > 0 && (b[n] & 0xc0) == 0x80) {
      n--;
    }
    return Arrays.copyOf(b, n);
  }

  private void encodeFields(ByteBuffer dst, byte[] nameBytes, byte[] linkBytes) {
    if (mtime < 0) {
      throw new IllegalArgumentException("negative mtime: " + mtime);
    }
    if (dst.remaining() < BLOCK_SIZE) {
      throw new BufferOverflowException();
    }
    byte[] h = new byte[BLOCK_SIZE];
    System.arraycopy(nameBytes, 0, h, NAME, nameBytes.length);
    printNumber(h, MODE, 8, mode);
    printNumber(h, UID, 8, uid);
    printNumber(h, GID, 8, gid);
    printNumber(h, SIZE, 12, size);
    printNumber(h, MTIME, 12, mtime);
    h[TYPEFLAG] = (byte) typeflag;
    System.arraycopy(linkBytes, 0, h, LINKNAME, linkBytes.length);
    System.arraycopy(POSIX_MAGIC, 0, h, MAGIC, POSIX_MAGIC.length);
    System.arraycopy(OWNER, 0, h, UNAME, OWNER.length);
    System.arraycopy(OWNER, 0, h, GNAME, OWNER.length);
    printNumber(h, DEVMAJOR, 8, 0);
    printNumber(h, DEVMINOR, 8, 0);
    int sum = 8 * ' ';
    for (int i = 0; i < BLOCK_SIZE; i++) {
      if (i < CHKSUM || i >= CHKSUM + 8) {
        sum += h[i] & 0xff;
      }
    }
    printNumber(h, CHKSUM, 8, sum);
    dst.put(h);
  }

  /**
   * Octal zero-padded to len-1 digits plus a space when the value fits, else GNU base-256: 0x80
   * then the value big-endian in the remaining len-1 bytes (tar.c print_tar_number).
   */
  private static void printNumber(byte[] h, int at, int len, long value) {
    if (value < (1L << ((len - 1) * 3))) {
      h[at + len - 1] = ' ';
      long v = value;
      for (int i = len - 2; i >= 0; i--) {
        h[at + i] = (byte) ('0' + (v & 7));
        v >>>= 3;
      }
    } else {
      h[at] = (byte) 0x80;
      long v = value;
      for (int i = len - 1; i > 0; i--) {
        h[at + i] = (byte) v;
        v >>>= 8;
      }
    }
  }
}
