/** Google Cloud KMS master keys: {@link dev.envelope.gcp.GcpKmsMasterKey}. */
@NullMarked
package dev.envelope.gcp;

import org.jspecify.annotations.NullMarked;
