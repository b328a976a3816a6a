package dev.envelope.testkit.gcp;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.cloud.kms.v1.KeyManagementServiceClient;
import com.google.cloud.kms.v1.KeyManagementServiceSettings;
import com.google.cloud.secretmanager.v1.SecretManagerServiceClient;
import com.google.cloud.secretmanager.v1.SecretManagerServiceSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.zip.CRC32C;

/** The real Google Cloud clients, pointed at the fakes over plaintext loopback without credentials. */
final class Clients {
  private Clients() {}

  static KeyManagementServiceClient kms(GcpFakes fakes) {
    try {
      return KeyManagementServiceClient.create(KeyManagementServiceSettings.newBuilder()
          .setEndpoint(fakes.endpoint())
          .setCredentialsProvider(NoCredentialsProvider.create())
          .setTransportChannelProvider(channel(fakes))
          .build());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static SecretManagerServiceClient secretManager(GcpFakes fakes) {
    try {
      return SecretManagerServiceClient.create(SecretManagerServiceSettings.newBuilder()
          .setEndpoint(fakes.endpoint())
          .setCredentialsProvider(NoCredentialsProvider.create())
          .setTransportChannelProvider(channel(fakes))
          .build());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InstantiatingGrpcChannelProvider channel(GcpFakes fakes) {
    return InstantiatingGrpcChannelProvider.newBuilder()
        .setEndpoint(fakes.endpoint())
        .setChannelConfigurator(b -> b.usePlaintext())
        .build();
  }

  static long crc32c(byte[] data) {
    CRC32C crc = new CRC32C();
    crc.update(data);
    return crc.getValue();
  }
}
