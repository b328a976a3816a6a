package dev.envelope.aws;

import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.SdkResponse;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.EncryptResponse;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;

/**
 * Rewrites the KeyId of KMS answers once {@link #keyId} is set, as a compromised proxy could, and
 * keeps the plaintext of the last GenerateDataKey or Decrypt answer so a test can check it was zeroed.
 * For the sync and the async client alike.
 */
final class KeyIdForger implements ExecutionInterceptor {
  volatile String keyId;
  final AtomicReference<SdkBytes> plaintext = new AtomicReference<>();

  @Override
  public SdkResponse modifyResponse(Context.ModifyResponse context, ExecutionAttributes attributes) {
    SdkResponse r = context.response();
    if (keyId == null) {
      return r;
    }
    if (r instanceof GenerateDataKeyResponse g) {
      plaintext.set(g.plaintext());
      return g.toBuilder().keyId(keyId).build();
    }
    if (r instanceof DecryptResponse d) {
      plaintext.set(d.plaintext());
      return d.toBuilder().keyId(keyId).build();
    }
    if (r instanceof EncryptResponse e) {
      return e.toBuilder().keyId(keyId).build();
    }
    return r;
  }
}
