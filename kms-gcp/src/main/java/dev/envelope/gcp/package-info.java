/** Google Cloud KMS master keys ({@link dev.envelope.gcp.GcpKmsMasterKey}) and Secret Manager ({@link dev.envelope.gcp.GcpSecretStore}). */
@NullMarked
package dev.envelope.gcp;

import org.jspecify.annotations.NullMarked;
