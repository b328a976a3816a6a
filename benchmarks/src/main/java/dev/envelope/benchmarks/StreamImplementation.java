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
import dev.envelope.core.LocalMasterKey;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.TimeUnit;

/** Streaming encryption, each implementation behind {@link StreamCodec}, segments of 64 KiB. */
public enum StreamImplementation {
  /** {@code Envelope.encryptingStream} with a data-key cache. */
  ENVELOPE_MESSAGE {
    @Override
    public StreamCodec create() {
      Envelope env = Envelope.builder()
          .masterKeys(LocalMasterKey.generate("bench"))
          .dataKeyCache(DataKeyCache.builder().build())
          .build();
      return new StreamCodec() {
        @Override
        public OutputStream encryptingStream(OutputStream sink) {
          return env.encryptingStream(sink, Contexts.CONTEXT);
        }

        @Override
        public InputStream decryptingStream(InputStream source) {
          return env.decryptingStream(source, Contexts.CONTEXT);
        }
      };
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
      return new StreamCodec() {
        @Override
        public OutputStream encryptingStream(OutputStream sink) throws Exception {
          return aead.newEncryptingStream(sink, Contexts.AAD);
        }

        @Override
        public InputStream decryptingStream(InputStream source) throws Exception {
          return aead.newDecryptingStream(source, Contexts.AAD);
        }
      };
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
      return new StreamCodec() {
        @Override
        public OutputStream encryptingStream(OutputStream sink) {
          return crypto.createEncryptingStream(cmm, sink, Contexts.PAIRS);
        }

        @Override
        public InputStream decryptingStream(InputStream source) {
          return crypto.createDecryptingStream(cmm, source);
        }
      };
    }
  };

  /** A new instance with fresh random keys. */
  public abstract StreamCodec create() throws Exception;

  /** The streaming facade. */
  public interface StreamCodec {
    /** Wraps a sink in an encrypting stream; closing it finishes the message. */
    OutputStream encryptingStream(OutputStream sink) throws Exception;

    /** Decrypts what {@link #encryptingStream} wrote; fails on tampering or truncation. */
    InputStream decryptingStream(InputStream source) throws Exception;
  }
}
