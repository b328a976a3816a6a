package dev.envelope.gcp;

import com.google.api.gax.core.NoCredentialsProvider;
import com.google.api.gax.grpc.InstantiatingGrpcChannelProvider;
import com.google.cloud.kms.v1.KeyManagementServiceClient;
import com.google.cloud.kms.v1.KeyManagementServiceSettings;
import com.google.cloud.secretmanager.v1.SecretManagerServiceClient;
import com.google.cloud.secretmanager.v1.SecretManagerServiceSettings;
import dev.envelope.testkit.gcp.GcpFakes;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Real Google clients built by the test, as an application with its own settings would. */
final class RealClients {
  private RealClients() {}

  static KeyManagementServiceClient kms(GcpFakes fakes) {
    try {
      return KeyManagementServiceClient.create(KeyManagementServiceSettings.newBuilder()
          .setEndpoint(fakes.endpoint())
          .setCredentialsProvider(NoCredentialsProvider.create())
          .setTransportChannelProvider(InstantiatingGrpcChannelProvider.newBuilder()
              .setEndpoint(fakes.endpoint())
              .setChannelConfigurator(b -> b.usePlaintext())
              .build())
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
          .setTransportChannelProvider(InstantiatingGrpcChannelProvider.newBuilder()
              .setEndpoint(fakes.endpoint())
              .setChannelConfigurator(b -> b.usePlaintext())
              .build())
          .build());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
