package dev.envelope.benchmarks;

import com.amazonaws.encryptionsdk.AwsCrypto;
import com.amazonaws.encryptionsdk.CommitmentPolicy;
import com.amazonaws.encryptionsdk.CryptoAlgorithm;
import com.amazonaws.encryptionsdk.CryptoMaterialsManager;
import com.amazonaws.encryptionsdk.CryptoResult;
import com.amazonaws.encryptionsdk.caching.CachingCryptoMaterialsManager;
import com.amazonaws.encryptionsdk.caching.LocalCryptoMaterialsCache;
import com.amazonaws.encryptionsdk.jce.JceMasterKey;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.KmsEnvelopeAead;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import dev.envelope.core.DataKeyCache;
import dev.envelope.core.DataKeyStore;
import dev.envelope.core.Envelope;
import dev.envelope.core.FieldEncryptor;
import dev.envelope.core.LocalMasterKey;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Every implementation in the comparison, each behind {@link Codec}, selected by a JMH
 * {@code @Param} so every row of a table comes from the same run.
 */
public enum Implementation {
  /**
   * Envelope field encryption (docs/fields.md) with a warm data key: one AES-GCM call under the
   * cached data key, 37 bytes of overhead, the wrapped key in an in-memory data-key table.
   */
  ENVELOPE_FIELD {
    @Override
    public Codec create() {
      FieldEncryptor fields = FieldEncryptor.builder()
          .masterKey(LocalMasterKey.generate("bench"))
          .dataKeyStore(DataKeyStore.inMemory())
          .build();
      return new Codec() {
        @Override
        public byte[] encrypt(byte[] plaintext) {
          return fields.encrypt(plaintext, Contexts.CONTEXT);
        }

        @Override
        public byte[] decrypt(byte[] ciphertext) {
          return fields.decrypt(ciphertext, Contexts.CONTEXT);
        }
      };
    }
  },

  /** Envelope message format with a data-key cache: after the first call no master-key call. */
  ENVELOPE_MESSAGE {
    @Override
    public Codec create() {
      Envelope env = Envelope.builder()
          .masterKeys(LocalMasterKey.generate("bench"))
          .dataKeyCache(DataKeyCache.builder().build())
          .build();
      return new Codec() {
        @Override
        public byte[] encrypt(byte[] plaintext) {
          return env.encrypt(plaintext, Contexts.CONTEXT);
        }

        @Override
        public byte[] decrypt(byte[] ciphertext) {
          return env.decrypt(ciphertext, Contexts.CONTEXT);
        }
      };
    }
  },

  /** Tink's AES-256-GCM keyset AEAD: one AEAD call, no envelope. The floor. */
  TINK_AEAD {
    @Override
    public Codec create() throws GeneralSecurityException {
      Aead aead = tinkAes256Gcm();
      return new Codec() {
        @Override
        public byte[] encrypt(byte[] plaintext) throws GeneralSecurityException {
          return aead.encrypt(plaintext, Contexts.AAD);
        }

        @Override
        public byte[] decrypt(byte[] ciphertext) throws GeneralSecurityException {
          return aead.decrypt(ciphertext, Contexts.AAD);
        }
      };
    }
  },

  /**
   * Tink's KmsEnvelopeAead with a local AES-GCM AEAD standing in for the KMS: a new data key and
   * one "KMS" wrap per message, unwrap per decryption (Tink has no data-key cache).
   */
  TINK_KMS_ENVELOPE {
    @Override
    public Codec create() throws GeneralSecurityException {
      Aead aead = KmsEnvelopeAead.create(PredefinedAeadParameters.AES256_GCM, tinkAes256Gcm());
      return new Codec() {
        @Override
        public byte[] encrypt(byte[] plaintext) throws GeneralSecurityException {
          return aead.encrypt(plaintext, Contexts.AAD);
        }

        @Override
        public byte[] decrypt(byte[] ciphertext) throws GeneralSecurityException {
          return aead.decrypt(ciphertext, Contexts.AAD);
        }
      };
    }
  },

  /**
   * AWS Encryption SDK with a raw AES master key behind its caching materials manager, committing
   * unsigned suite, frames the size of Envelope's segments (64 KiB) so framing is like for like.
   */
  ESDK_CACHED {
    @Override
    public Codec create() {
      CryptoMaterialsManager cmm = CachingCryptoMaterialsManager.newBuilder()
          .withMasterKeyProvider(esdkMasterKey())
          .withCache(new LocalCryptoMaterialsCache(1000))
          .withMaxAge(5, TimeUnit.MINUTES)
          .withMessageUseLimit(1L << 32)
          .build();
      AwsCrypto crypto = AwsCrypto.builder()
          .withCommitmentPolicy(CommitmentPolicy.RequireEncryptRequireDecrypt)
          .withEncryptionAlgorithm(CryptoAlgorithm.ALG_AES_256_GCM_HKDF_SHA512_COMMIT_KEY)
          .withEncryptionFrameSize(ENVELOPE_SEGMENT)
          .build();
      return new Codec() {
        @Override
        public byte[] encrypt(byte[] plaintext) {
          return crypto.encryptData(cmm, plaintext, Contexts.PAIRS).getResult();
        }

        @Override
        public byte[] decrypt(byte[] ciphertext) {
          return checkContext(crypto.decryptData(cmm, ciphertext));
        }
      };
    }
  },

  /**
   * AWS Encryption SDK as it comes: default (ECDSA P-384 signed, committing) suite, default 4 KiB
   * frames, no cache, so a master-key call per message.
   */
  ESDK_DEFAULT {
    @Override
    public Codec create() {
      JceMasterKey key = esdkMasterKey();
      AwsCrypto crypto = AwsCrypto.standard();
      return new Codec() {
        @Override
        public byte[] encrypt(byte[] plaintext) {
          return crypto.encryptData(key, plaintext, Contexts.PAIRS).getResult();
        }

        @Override
        public byte[] decrypt(byte[] ciphertext) {
          return checkContext(crypto.decryptData(key, ciphertext));
        }
      };
    }
  },

  /** Plain javax.crypto AES-256-GCM as naive code writes it: a new Cipher per operation. */
  JCE_GCM {
    @Override
    public Codec create() {
      SecretKeySpec key = new SecretKeySpec(randomBytes(32), "AES");
      return new Codec() {
        @Override
        public byte[] encrypt(byte[] plaintext) throws GeneralSecurityException {
          byte[] out = new byte[NONCE + plaintext.length + TAG];
          byte[] nonce = new byte[NONCE];
          RANDOM.nextBytes(nonce);
          System.arraycopy(nonce, 0, out, 0, NONCE);
          Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
          c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG * 8, nonce));
          c.updateAAD(Contexts.AAD);
          c.doFinal(plaintext, 0, plaintext.length, out, NONCE);
          return out;
        }

        @Override
        public byte[] decrypt(byte[] ciphertext) throws GeneralSecurityException {
          if (ciphertext.length < NONCE + TAG) {
            throw new GeneralSecurityException("ciphertext too short");
          }
          Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
          c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG * 8, ciphertext, 0, NONCE));
          c.updateAAD(Contexts.AAD);
          return c.doFinal(ciphertext, NONCE, ciphertext.length - NONCE);
        }
      };
    }
  };

  /** Envelope's default segment size, used for the peers' frames where they can be set. */
  static final int ENVELOPE_SEGMENT = 64 << 10;
  private static final int NONCE = 12;
  private static final int TAG = 16;
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A new instance with fresh random keys. */
  public abstract Codec create() throws Exception;

  static Aead tinkAes256Gcm() throws GeneralSecurityException {
    AeadConfig.register();
    return KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM)
        .getPrimitive(RegistryConfiguration.get(), Aead.class);
  }

  static JceMasterKey esdkMasterKey() {
    return JceMasterKey.getInstance(new SecretKeySpec(randomBytes(32), "AES"), "bench", "kek", "AES/GCM/NoPadding");
  }

  /** The ESDK does not compare contexts on decrypt; a careful caller does, so the benchmark does too. */
  static byte[] checkContext(CryptoResult<byte[], ?> result) {
    Map<String, String> actual = result.getEncryptionContext();
    for (Map.Entry<String, String> e : Contexts.PAIRS.entrySet()) {
      if (!e.getValue().equals(actual.get(e.getKey()))) {
        throw new IllegalStateException("encryption context does not match");
      }
    }
    return result.getResult();
  }

  static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }
}
