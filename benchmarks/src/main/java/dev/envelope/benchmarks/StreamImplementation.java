package dev.envelope.benchmarks;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CommitmentPolicy;
import com.amazonaws.encryptionsdk.CryptoAlgorithm;
import com.amazonaws.encryptionsdk.CryptoMaterialsManager;
import com.amazonaws.encryptionsdk.caching.CachingCryptoMaterialsManager;
import com.amazonaws.encryptionsdk.caching.LocalCryptoMaterialsCache;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.StreamingAead;
import com.google.crypto.tink.streamingaead.AesGcmHkdfStreamingParameters;
import com.google.crypto.tink.streamingaead.StreamingAeadConfig;
import dev.envelope.core.DataKeyCache;
import dev.envelope.core.Envelope;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;

/** Streaming encryption, each implementation behind {@link StreamCodec}, segments of 64 KiB. */
public enum StreamImplementation {
  /** {@code Envelope.encryptingStream} with a data-key cache. */
  ENVELOPE_MESSAGE {
    @Override
    public StreamCodec create() {
      Envelope env = Envelope.builder()
          .masterKeys(AesMasterKey.generate("bench"))
          .dataKeyCache(DataKeyCache.builder().build())
          .build();
      return sink -> env.encryptingStream(sink, Contexts.CONTEXT);
    }
  },

  /** Tink's AES-256-GCM-HKDF streaming AEAD with 64 KiB ciphertext segments (no envelope, no KMS). */
  TINK_STREAMING_AEAD {
    @Override
    public StreamCodec create() throws Exception {
      StreamingAeadConfig.register();
      StreamingAead aead = KeysetHandle.generateNew(AesGcmHkdfStreamingParameters.builder()
              .setKeySizeBytes(32)
              .setDerivedAesGcmKeySizeBytes(32)
              .setHkdfHashType(AesGcmHkdfStreamingParameters.HashType.SHA256)
              .setCiphertextSegmentSizeBytes(Implementation.ENVELOPE_SEGMENT + 16)
              .build())
          .getPrimitive(RegistryConfiguration.get(), StreamingAead.class);
      return sink -> aead.newEncryptingStream(sink, Contexts.AAD);
    }
  },

  /** AWS Encryption SDK streaming with its caching materials manager, unsigned committing suite, 64 KiB frames. */
  ESDK_CACHED {
    @Override
    public StreamCodec create() {
      CryptoMaterialsManager cmm = CachingCryptoMaterialsManager.newBuilder()
          .withMasterKeyProvider(Implementation.esdkMasterKey())
          .withCache(new LocalCryptoMaterialsCache(1000))
          .withMaxAge(5, TimeUnit.MINUTES)
          .withMessageUseLimit(1L << 32)
          .build();
      AwsCrypto crypto = AwsCrypto.builder()
          .withCommitmentPolicy(CommitmentPolicy.RequireEncryptRequireDecrypt)
          .withEncryptionAlgorithm(CryptoAlgorithm.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
          .withEncryptionFrameSize(Implementation.ENVELOPE_SEGMENT)
          .build();
      return sink -> crypto.createEncryptingStream(cmm, sink, Contexts.PAIRS);
    }
  };

  /** A new instance with fresh random keys. */
  public abstract StreamCodec create() throws Exception;

  /** Wraps a sink in an encrypting stream; closing it finishes the message. */
  @FunctionalInterface
  public interface StreamCodec {
    OutputStream encryptingStream(OutputStream sink) throws Exception;
  }
}
