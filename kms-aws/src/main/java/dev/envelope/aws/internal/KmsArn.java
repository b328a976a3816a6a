package dev.envelope.aws.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * An AWS KMS key or alias ARN: {@code arn:PARTITION:kms:REGION:ACCOUNT:key/ID} or
 * {@code …:alias/NAME}. Multi-Region keys have ids starting with {@code mrk-}; replicas of one
 * key share partition, account and id and differ only in region.
 */
public record KmsArn(String partition, String region, String account, String type, String id) {
  private static final Pattern ARN =
      Pattern.compile("arn:([a-z][a-z-]*):kms:([a-z0-9-]+):(\\d{12}):(key|alias)/(\\S+)");

  /** The parts of {@code s}, or null if it is not a KMS key or alias ARN. */
  public static @Nullable KmsArn parse(@Nullable String s) {
    if (s == null) {
      return null;
    }
    Matcher m = ARN.matcher(s);
    if (!m.matches()) {
      return null;
    }
    return new KmsArn(m.group(1), m.group(2), m.group(3), m.group(4), m.group(5));
  }

  public boolean isKey() {
    return type.equals("key");
  }

  public boolean isMultiRegionKey() {
    return isKey() && id.startsWith("mrk-");
  }

  /** Whether both name replicas of the same multi-Region key (in any regions). */
  public boolean sameMultiRegionKey(KmsArn other) {
    return isMultiRegionKey() && other.isMultiRegionKey() && partition.equals(other.partition)
        && account.equals(other.account) && id.equals(other.id);
  }

  public KmsArn withRegion(String newRegion) {
    return new KmsArn(partition, newRegion, account, type, id);
  }

  @Override
  public String toString() {
    return "arn:" + partition + ":kms:" + region + ":" + account + ":" + type + "/" + id;
  }
}
