// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.basebackup.compress;

/**
 * The CRC-32 (gzip's, reflected polynomial 0xEDB88320) of a concatenation from the CRCs of its
 * parts: {@code crc(A ‖ B) = crc(A) · x^(8·|B|) + crc(B)} in GF(2)[x] modulo the polynomial. The
 * JDK's {@link java.util.zip.CRC32} has no such operation (zlib's {@code crc32_combine}); it lets
 * the gzip workers checksum their own blocks instead of the receiving thread checksumming the whole
 * stream.
 *
 * <p>Polynomials are 32-bit words in the reflected order CRC-32 uses: bit 31 is x^0, bit 0 is x^31.
 * The powers x^(2^k) are tabulated once; x^n is their product over the bits of n, so a combination
 * costs at most 64 multiplications of 32 steps.
 */
final class Crc32Combine {

  private static final int POLY = 0xEDB88320;

  /** {@code X2N[k]} = x^(2^k) modulo the polynomial. */
  private static final int[] X2N = new int[32];

  static {
    int p = 1 << 30; // x^1
    for (int k = 0; k < X2N.length; k++) {
      X2N[k] = p;
      p = multiply(p, p);
    }
  }

  private Crc32Combine() {}

  /**
   * The CRC-32 of {@code A ‖ B}.
   *
   * @param crcA the CRC-32 of A
   * @param crcB the CRC-32 of B
   * @param lengthB the length of B in bytes
   * @return the CRC-32 of the concatenation
   */
  static int combine(int crcA, int crcB, long lengthB) {
    return multiply(xPow8n(lengthB), crcA) ^ crcB;
  }

  /** x^(8·n) modulo the polynomial. */
  private static int xPow8n(long n) {
    int p = 1 << 31; // x^0
    int k = 3; // 8 = 2^3
    while (n != 0) {
      if ((n & 1) != 0) {
        p = multiply(X2N[k & 31], p);
      }
      n >>>= 1;
      k++;
    }
    return p;
  }

  /** a · b modulo the polynomial (carry-less, reflected). */
  private static int multiply(int a, int b) {
    int product = 0;
    for (int bit = 1 << 31; bit != 0; bit >>>= 1) {
      if ((a & bit) != 0) {
        product ^= b;
      }
      b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
    }
    return product;
  }
}
