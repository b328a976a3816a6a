package dev.envelope.benchmarks;

import com.amazonaws.encryptionsdk.CryptoAlgorithm;
import com.amazonaws.encryptionsdk.DataKey;
import com.amazonaws.encryptionsdk.EncryptedDataKey;
import com.amazonaws.encryptionsdk.MasterKey;
import com.amazonaws.encryptionsdk.jce.JceMasterKey;
import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An AWS Encryption SDK master key that sleeps like a KMS round trip and counts its calls, over a
 * raw AES {@link JceMasterKey}: the ESDK side of {@link ColdCacheStorm}.
 */
final class SlowEsdkMasterKey extends MasterKey<SlowEsdkMasterKey> {
  private final JceMasterKey delegate = Implementation.esdkMasterKey();
  private final long sleepMillis;
  private final AtomicInteger calls = new AtomicInteger();

  SlowEsdkMasterKey(Duration latency) {
    this.sleepMillis = latency.toMillis();
  }

  int calls() {
    return calls.get();
  }

  @Override
  public String getProviderId() {
    return delegate.getProviderId();
  }

  @Override
  public String getKeyId() {
    return delegate.getKeyId();
  }

  @Override
  public DataKey<SlowEsdkMasterKey> generateDataKey(CryptoAlgorithm algorithm, Map<String, String> context) {
    return own(delegate.generateDataKey(algorithm, context));
  }

  @Override
  public DataKey<SlowEsdkMasterKey> encryptDataKey(CryptoAlgorithm algorithm, Map<String, String> context,
      DataKey<?> dataKey) {
    return own(delegate.encryptDataKey(algorithm, context, dataKey));
  }

  @Override
  public DataKey<SlowEsdkMasterKey> decryptDataKey(CryptoAlgorithm algorithm,
      Collection<? extends EncryptedDataKey> keys, Map<String, String> context) {
    return own(delegate.decryptDataKey(algorithm, keys, context));
  }

  private DataKey<SlowEsdkMasterKey> own(DataKey<JceMasterKey> k) {
    calls.incrementAndGet();
    try {
      Thread.sleep(sleepMillis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while standing in for a KMS call", e);
    }
    return k == null ? null : new DataKey<>(k.getKey(), k.getEncryptedDataKey(), k.getProviderInformation(), this);
  }
}
