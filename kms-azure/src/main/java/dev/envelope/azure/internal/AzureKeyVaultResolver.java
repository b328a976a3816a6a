package dev.envelope.azure.internal;

import dev.envelope.azure.AzureKeyVaultMasterKey;
import dev.envelope.core.MasterKey;
import dev.envelope.core.MasterKeyResolver;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Resolves {@code azure-kv:https://VAULT/keys/NAME[/VERSION]} with the optional options
 * {@code endpoint} (a loopback https URL to send the requests to, see
 * {@link AzureKeyVaultMasterKey.Builder#endpoint}) and {@code trust} (a PEM file of certificates
 * to trust instead of the JDK's, e.g. the testkit fake's) and {@code deadline} (see
 * {@link MasterKeyResolver#durationOption}). Credentials are the builder's default.
 */
public final class AzureKeyVaultResolver implements MasterKeyResolver {
  private static final Set<String> OPTIONS = Set.of("endpoint", "trust", "deadline");
  /** A trust file larger than this is not a few PEM certificates. */
  private static final long MAX_TRUST_FILE_BYTES = 1 << 20;

  @Override
  public String scheme() {
    return AzureKeyVaultMasterKey.PROVIDER_ID;
  }

  @Override
  public MasterKey resolve(String spec, Map<String, String> options) {
    for (String option : options.keySet()) {
      if (!OPTIONS.contains(option)) {
        throw new IllegalArgumentException("unknown option '" + option + "' for azure-kv keys (supported: endpoint, trust, deadline)");
      }
    }
    AzureKeyVaultMasterKey.Builder b = AzureKeyVaultMasterKey.builder().keyId(spec);
    String endpoint = options.get("endpoint");
    if (endpoint != null) {
      b.endpoint(endpoint);
    }
    String deadline = options.get("deadline");
    if (deadline != null) {
      b.deadline(MasterKeyResolver.durationOption("azure-kv.deadline", deadline));
    }
    String trust = options.get("trust");
    if (trust != null) {
      b.sslContext(trusting(Path.of(trust)));
    }
    return b.build();
  }

  /** A TLS context trusting exactly the certificates in {@code pemFile}. */
  static SSLContext trusting(Path pemFile) {
    try {
      if (Files.size(pemFile) > MAX_TRUST_FILE_BYTES) {
        throw new IllegalArgumentException("trust file is larger than " + MAX_TRUST_FILE_BYTES + " bytes: " + pemFile);
      }
      Collection<? extends Certificate> certs;
      try (InputStream in = Files.newInputStream(pemFile)) {
        certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
      }
      if (certs.isEmpty()) {
        throw new IllegalArgumentException("no certificate in trust file " + pemFile);
      }
      KeyStore store = KeyStore.getInstance("PKCS12");
      store.load(null, null);
      int i = 0;
      for (Certificate c : certs) {
        store.setCertificateEntry("trusted-" + i++, c);
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, tmf.getTrustManagers(), null);
      return ctx;
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read trust file " + pemFile + ": " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("trust file " + pemFile + " holds no usable PEM certificate", e);
    }
  }
}
