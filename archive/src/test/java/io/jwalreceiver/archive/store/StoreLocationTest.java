// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Parsing of archive locations and the S3 settings taken from them and the environment. */
class StoreLocationTest {

  @ParameterizedTest
  @CsvSource({
    "s3://bucket, bucket, ''",
    "s3://bucket/, bucket, ''",
    "s3://bucket/a/b, bucket, a/b/",
    "s3://bucket/a/b/, bucket, a/b/",
    "S3://bucket/wal, bucket, wal/",
  })
  void parsesS3Locations(String text, String bucket, String prefix) {
    StoreLocation location = StoreLocation.parse(text);
    assertThat(location.isS3()).isTrue();
    assertThat(location.bucket()).isEqualTo(bucket);
    assertThat(location.prefix()).isEqualTo(prefix);
    assertThat(location.describe("wal/x")).isEqualTo("s3://" + bucket + "/" + prefix + "wal/x");
  }

  @Test
  void aPathIsALocalDirectory() {
    StoreLocation location = StoreLocation.parse("/var/lib/wal");
    assertThat(location.isS3()).isFalse();
    assertThat(location.describe("x")).isEqualTo("/var/lib/wal/x");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "''| archive location must not be empty",
        "s3:///prefix| no bucket",
        "gs://bucket/x| unsupported archive location",
        "s3://bucket/x?color=red| unknown option \"color\"",
        "s3://bucket/x?region| option \"region\" needs a value",
        "s3://bucket/a//b| empty path element",
      })
  void refusesBadLocations(String text, String message) {
    assertThatThrownBy(() -> StoreLocation.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void settingsComeFromTheLocationThenTheEnvironment() {
    Map<String, String> env =
        Map.of(
            "AWS_ENDPOINT_URL", "http://127.0.0.1:9000",
            "AWS_ACCESS_KEY_ID", "k",
            "AWS_SECRET_ACCESS_KEY", "s");
    S3Settings settings = S3Settings.resolve(StoreLocation.parse("s3://b/p"), env);
    assertThat(settings.endpoint()).hasToString("http://127.0.0.1:9000");
    assertThat(settings.region()).isEqualTo("us-east-1");
    assertThat(settings.pathStyle()).isTrue();
    assertThat(settings.credentials().resolveCredentials().accessKeyId()).isEqualTo("k");

    S3Settings own =
        S3Settings.resolve(
            StoreLocation.parse(
                "s3://b/p?endpoint=https://s3.example:8443&region=eu-west-3&path-style=false"),
            Map.of("AWS_ENDPOINT_URL_S3", "http://ignored", "AWS_REGION", "us-west-2"));
    assertThat(own.endpoint()).hasToString("https://s3.example:8443");
    assertThat(own.region()).isEqualTo("eu-west-3");
    assertThat(own.pathStyle()).isFalse();
  }

  @Test
  void refusesABadEndpointAndPathStyle() {
    assertThatThrownBy(
            () -> S3Settings.resolve(StoreLocation.parse("s3://b?endpoint=nohost"), Map.of()))
        .hasMessageContaining("invalid S3 endpoint \"nohost\"");
    assertThatThrownBy(
            () ->
                S3Settings.resolve(
                    StoreLocation.parse("s3://b?path-style=maybe"),
                    Map.of("AWS_REGION", "us-east-1")))
        .hasMessageContaining("path-style must be true or false");
  }
}
