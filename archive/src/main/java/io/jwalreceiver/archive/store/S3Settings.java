// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.archive.store;

import java.net.URI;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.regions.providers.DefaultAwsRegionProviderChain;

/**
 * How to reach the bucket of an {@code s3://} location: the location's options first, then the
 * standard AWS environment ({@code AWS_ENDPOINT_URL_S3}, {@code AWS_ENDPOINT_URL}, {@code
 * AWS_REGION}, {@code AWS_DEFAULT_REGION}, {@code AWS_ACCESS_KEY_ID}, {@code
 * AWS_SECRET_ACCESS_KEY}, {@code AWS_SESSION_TOKEN}, {@code AWS_PROFILE}), then the SDK's default
 * chains (profile files {@code ~/.aws/config} and {@code ~/.aws/credentials}, instance metadata).
 * With an endpoint and no region, the region is {@code us-east-1}, as S3-compatible stores expect.
 * Path-style addressing is the default when an endpoint is set.
 *
 * @param endpoint the endpoint, or null for AWS's own
 * @param region the signing region
 * @param pathStyle path-style ({@code endpoint/bucket/key}) rather than virtual-host addressing
 * @param credentials where the credentials come from
 */
public record S3Settings(
    @Nullable URI endpoint, String region, boolean pathStyle, AwsCredentialsProvider credentials) {

  /** The region of an S3-compatible endpoint that names none. */
  static final String DEFAULT_ENDPOINT_REGION = "us-east-1";

  /**
   * Resolves the settings of a location.
   *
   * @param env the process environment (a map, so that tests can give one)
   * @throws IllegalArgumentException with a one-line message when something is missing or invalid
   */
  public static S3Settings resolve(StoreLocation location, Map<String, String> env) {
    String endpointText =
        first(
            location.options().get("endpoint"),
            env.get("AWS_ENDPOINT_URL_S3"),
            env.get("AWS_ENDPOINT_URL"));
    URI endpoint = null;
    if (endpointText != null) {
      endpoint = URI.create(endpointText);
      if (endpoint.getScheme() == null || endpoint.getHost() == null) {
        throw new IllegalArgumentException(
            "invalid S3 endpoint \"" + endpointText + "\": expected http(s)://host[:port]");
      }
    }
    String region =
        first(
            location.options().get("region"), env.get("AWS_REGION"), env.get("AWS_DEFAULT_REGION"));
    if (region == null) {
      region = endpoint != null ? DEFAULT_ENDPOINT_REGION : defaultRegion(location);
    }
    String pathStyle = location.options().get("path-style");
    boolean path = pathStyle == null ? endpoint != null : parseBoolean(location, pathStyle);
    return new S3Settings(endpoint, region, path, credentials(env));
  }

  private static AwsCredentialsProvider credentials(Map<String, String> env) {
    String key = env.get("AWS_ACCESS_KEY_ID");
    String secret = env.get("AWS_SECRET_ACCESS_KEY");
    if (key != null && secret != null) {
      String token = env.get("AWS_SESSION_TOKEN");
      return StaticCredentialsProvider.create(
          token == null
              ? AwsBasicCredentials.create(key, secret)
              : AwsSessionCredentials.create(key, secret, token));
    }
    String profile = env.get("AWS_PROFILE");
    if (profile != null) {
      return ProfileCredentialsProvider.create(profile);
    }
    return DefaultCredentialsProvider.builder().build();
  }

  private static String defaultRegion(StoreLocation location) {
    try {
      return DefaultAwsRegionProviderChain.builder().build().getRegion().id();
    } catch (SdkClientException e) {
      throw new IllegalArgumentException(
          "no AWS region for \""
              + location
              + "\": set AWS_REGION, a region in ~/.aws/config, or ?region= in the location",
          e);
    }
  }

  private static boolean parseBoolean(StoreLocation location, String value) {
    return switch (value) {
      case "true", "on", "1" -> true;
      case "false", "off", "0" -> false;
      default ->
          throw new IllegalArgumentException(
              "invalid archive location \""
                  + location
                  + "\": path-style must be true or false, not \""
                  + value
                  + "\"");
    };
  }

  private static @Nullable String first(@Nullable String... values) {
    for (String value : values) {
      if (value != null && !value.isEmpty()) {
        return value;
      }
    }
    return null;
  }
}
