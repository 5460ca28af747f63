// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.testkit;

/**
 * A certificate and its private key as PEM text.
 *
 * @param certificate {@code -----BEGIN CERTIFICATE-----}
 * @param privateKey unencrypted PKCS#8, {@code -----BEGIN PRIVATE KEY-----}
 */
public record CertificateAndKey(String certificate, String privateKey) {}
