/** AWS KMS master keys: {@link dev.envelope.aws.AwsKmsMasterKey}. */
@NullMarked
package dev.envelope.aws;

import org.jspecify.annotations.NullMarked;
