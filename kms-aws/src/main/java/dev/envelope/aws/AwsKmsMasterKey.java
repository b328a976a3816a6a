package dev.envelope.aws;

import dev.envelope.aws.internal.AwsClientSettings;
import dev.envelope.aws.internal.KmsArn;
import dev.envelope.aws.internal.KmsErrors;
import dev.envelope.core.DataKey;
import dev.envelope.core.EncryptionContext;
import dev.envelope.core.EnvelopeException;
import dev.envelope.core.KeyRef;
import dev.envelope.core.KeyUnavailableException;
import dev.envelope.core.KmsException;
import dev.envelope.core.MasterKey;
import dev.envelope.core.SecretBytes;
import dev.envelope.core.WrappedKey;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.SdkBytes;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.kms.KmsAsyncClient;
import software.amazon.awssdk.services.kms.KmsClient;
import software.amazon.awssdk.services.kms.model.DataKeySpec;
import software.amazon.awssdk.services.kms.model.DecryptRequest;
import software.amazon.awssdk.services.kms.model.DecryptResponse;
import software.amazon.awssdk.services.kms.model.DescribeKeyRequest;
import software.amazon.awssdk.services.kms.model.DescribeKeyResponse;
import software.amazon.awssdk.services.kms.model.EncryptRequest;
import software.amazon.awssdk.services.kms.model.EncryptResponse;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyRequest;
import software.amazon.awssdk.services.kms.model.GenerateDataKeyResponse;
import software.amazon.awssdk.services.kms.model.ReEncryptResponse;

/**
 * An AWS KMS symmetric encryption key as an Envelope master key.
 *
 * <pre>{@code
 * AwsKmsMasterKey key = AwsKmsMasterKey.builder()
 *     .keyId("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab")
 *     .build();                                  // SDK default credentials chain, region from the ARN
 * }</pre>
 *
 * <p><b>Calls.</b> {@link #generateDataKey} is one {@code GenerateDataKey} (AES_256) and
 * {@link #wrap} one {@code Encrypt}, both with the encryption context as KMS
 * {@code EncryptionContext}, so KMS binds it too (Envelope also binds it in its own header).
 * {@link #unwrap} is {@code Decrypt} with {@code KeyId} always set: never an unscoped decrypt
 * that would let a ciphertext choose its own key. {@link #rewrap} to another AWS KMS key in the
 * same region is one {@code ReEncrypt}, so the data key never leaves KMS.
 *
 * <p><b>Verification.</b> Every answer must name the key that was asked for: the {@code KeyId}
 * of GenerateDataKey, Encrypt and Decrypt, and both {@code SourceKeyId} and {@code KeyId} of
 * ReEncrypt must equal the requested key ARN, or the call fails with a non-retryable
 * {@link KmsException} and any plaintext in the answer is zeroed.
 *
 * <p><b>Key ids.</b> A key ARN is used as is. An alias name ({@code alias/orders}), alias ARN or
 * bare key id is resolved once, on first use, with {@code DescribeKey} to the key's ARN, which is
 * then used for the life of this object (build a new one to follow a retargeted alias). Wrapped
 * keys record the key ARN KMS answered with and, where KMS reports one, the
 * {@code KeyMaterialId} as version (GenerateDataKey and ReEncrypt do; Encrypt does not).
 *
 * <p><b>Multi-Region keys.</b> A key whose id starts with {@code mrk-} can unwrap what any of its
 * replicas wrapped: configure the replica ARN in your own region and {@link #canUnwrap} accepts
 * wrapped keys naming the same key in other regions; Decrypt is sent to your replica.
 *
 * <p><b>Discovery.</b> {@link #discovery(String, String...)} builds a key that can only unwrap,
 * any key of the given partition and accounts (in its client's region, or a multi-Region key's
 * replica there). There is no unfiltered discovery.
 *
 * <p><b>Errors and retries.</b> The SDK's standard retry strategy (exponential backoff with
 * jitter; throttling with its own longer backoff) retries throttling, 5xx and I/O errors within
 * the {@linkplain Builder#deadline deadline}; what is left surfaces as a retryable
 * {@link KmsException}. {@code DisabledException}, {@code KMSInvalidStateException} (pending
 * deletion) and {@code NotFoundException} become {@link KeyUnavailableException};
 * {@code AccessDeniedException} and credential errors {@link dev.envelope.core.AccessDeniedException};
 * {@code InvalidCiphertextException} and {@code IncorrectKeyException}
 * {@link dev.envelope.core.InvalidCiphertextException}; anything else a non-retryable
 * {@link KmsException}.
 *
 * <p><b>Async.</b> {@link #generateDataKeyAsync}, {@link #wrapAsync} and {@link #unwrapAsync} (what
 * {@code Envelope.encryptAsync} and {@code decryptAsync} call) send the same requests on a
 * {@code KmsAsyncClient} and hold no thread while KMS answers. Answers are verified, plaintexts
 * zeroed and errors mapped exactly as above, within the same deadline and retry strategy; the
 * future completes on the SDK's response thread. The client is the one given to
 * {@link Builder#asyncClient}, else one this key builds on first async use from its own settings on
 * the SDK's Netty HTTP client (and closes in {@link #close()}). A key given only a sync
 * {@link Builder#client} has no settings to build one from: its async methods run that client on
 * the caller's executor (the SPI's default). An alias is resolved with an async DescribeKey, but
 * {@link #canUnwrap} is synchronous and may resolve it with a blocking one first: give async
 * decrypt-only services the key ARN.
 *
 * <p>Immutable and thread-safe. {@link #close()} closes the clients this key created.
 */
public final class AwsKmsMasterKey implements MasterKey, AutoCloseable {
  /** Provider id in {@link KeyRef} and {@link WrappedKey}. */
  public static final String PROVIDER_ID = "aws-kms";
  /** Time allowed for one KMS operation, retries included, unless the builder sets another. */
  public static final Duration DEFAULT_DEADLINE = AwsClientSettings.DEFAULT_DEADLINE;
  /** Time allowed for one HTTP attempt, unless the builder sets another. */
  public static final Duration DEFAULT_ATTEMPT_TIMEOUT = AwsClientSettings.DEFAULT_ATTEMPT_TIMEOUT;
  /** Attempts per operation (first try included) of the SDK standard retry strategy. */
  public static final int DEFAULT_MAX_ATTEMPTS = AwsClientSettings.DEFAULT_MAX_ATTEMPTS;

  private static final Pattern ACCOUNT = Pattern.compile("\\d{12}");
  private static final Pattern PARTITION = Pattern.compile("[a-z][a-z-]*");

  private final KmsClient client;
  private final boolean ownsClient;
  /** The async client given to the builder; never closed here. */
  private final @Nullable KmsAsyncClient givenAsyncClient;
  /** Settings of the sync client this key built, to build the async one like it; null for a given client. */
  private final @Nullable AwsClientSettings settings;
  private final Object asyncClientLock = new Object();
  /** Built on first async use when no async client was given; guarded by asyncClientLock. */
  private volatile @Nullable KmsAsyncClient ownAsyncClient;
  private boolean closed;
  private final @Nullable String keyId;
  private final @Nullable String partition;
  private final Set<String> accounts;
  private final String clientRegion;
  private final AwsRequestOverrideConfiguration timeouts;
  private final KeyRef ref;
  /** The key ARN every call uses; set at build for a key ARN, on first use for an alias. */
  private volatile @Nullable String keyArn;
  /** Held while an alias is resolved, so concurrent first calls make one DescribeKey. */
  private final Object resolving = new Object();
  /** The async DescribeKey of an alias in flight, shared by concurrent first async calls. */
  private final AtomicReference<@Nullable CompletableFuture<String>> resolvingAsync = new AtomicReference<>();

  private AwsKmsMasterKey(Builder b, KmsClient client, boolean ownsClient, String clientRegion,
      @Nullable AwsClientSettings settings) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.givenAsyncClient = b.asyncClient;
    this.settings = settings;
    this.keyId = b.keyId;
    this.partition = b.partition;
    this.accounts = b.accounts;
    this.clientRegion = clientRegion;
    this.timeouts = AwsRequestOverrideConfiguration.builder().apiCallTimeout(b.settings.deadline())
        .apiCallAttemptTimeout(b.settings.attemptTimeout()).build();
    KmsArn arn = KmsArn.parse(b.keyId);
    this.keyArn = arn != null && arn.isKey() ? b.keyId : null;
    this.ref = new KeyRef(PROVIDER_ID, b.keyId != null ? b.keyId
        : "discovery:" + b.partition + ":" + String.join(",", b.accounts));
  }

  public static Builder builder() {
    return new Builder(null, Set.of());
  }

  /**
   * A key that only unwraps, whatever key of {@code partition} (e.g. {@code aws}) and
   * {@code accountIds} wrapped the data key, in the region of its client; multi-Region keys are
   * unwrapped with their replica in that region.
   *
   * @throws IllegalArgumentException if the partition or an account id is malformed, or no
   *     account is given
   */
  public static Builder discovery(String partition, String... accountIds) {
    if (partition == null || !PARTITION.matcher(partition).matches()) {
      throw new IllegalArgumentException("partition must look like aws, aws-cn or aws-us-gov");
    }
    if (accountIds == null || accountIds.length == 0) {
      throw new IllegalArgumentException("discovery needs at least one account id");
    }
    TreeSet<String> accounts = new TreeSet<>();
    for (String a : accountIds) {
      if (a == null || !ACCOUNT.matcher(a).matches()) {
        throw new IllegalArgumentException("account ids are 12 digits");
      }
      accounts.add(a);
    }
    // Sorted, so ref() names the same filter the same way whatever the argument order.
    return new Builder(partition, Collections.unmodifiableSortedSet(accounts));
  }

  @Override
  public KeyRef ref() {
    return ref;
  }

  /** True for a key built with {@link #discovery}. */
  public boolean isDiscovery() {
    return partition != null;
  }

  /** The region of the KMS client this key calls. */
  public String region() {
    return clientRegion;
  }

  @Override
  public DataKey generateDataKey(EncryptionContext context) {
    Objects.requireNonNull(context, "context");
    String arn = strictArn("generate data keys");
    GenerateDataKeyRequest request = generateDataKeyRequest(arn, context);
    return dataKey(arn, call("GenerateDataKey", arn, () -> client.generateDataKey(request)));
  }

  /** One {@code GenerateDataKey} on the async client; see the class comment. */
  @Override
  public CompletableFuture<DataKey> generateDataKeyAsync(EncryptionContext context, Executor executor) {
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(executor, "executor");
    KmsAsyncClient async;
    try {
      async = asyncClient();
      if (async == null) {
        return MasterKey.super.generateDataKeyAsync(context, executor);
      }
      checkNotDiscovery("generate data keys");
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return withKeyArnAsync(async, arn -> callAsync("GenerateDataKey", arn,
        () -> async.generateDataKey(generateDataKeyRequest(arn, context)), r -> dataKey(arn, r), DataKey::close),
        DataKey::close);
  }

  @Override
  public WrappedKey wrap(SecretBytes dataKey, EncryptionContext context) {
    Objects.requireNonNull(dataKey, "dataKey");
    Objects.requireNonNull(context, "context");
    String arn = strictArn("wrap data keys");
    EncryptRequest request = encryptRequest(arn, dataKey, context);
    return encrypted(arn, call("Encrypt", arn, () -> client.encrypt(request)));
  }

  /** One {@code Encrypt} on the async client; see the class comment. */
  @Override
  public CompletableFuture<WrappedKey> wrapAsync(SecretBytes dataKey, EncryptionContext context, Executor executor) {
    Objects.requireNonNull(dataKey, "dataKey");
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(executor, "executor");
    KmsAsyncClient async;
    try {
      async = asyncClient();
      if (async == null) {
        return MasterKey.super.wrapAsync(dataKey, context, executor);
      }
      checkNotDiscovery("wrap data keys");
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return withKeyArnAsync(async, arn -> callAsync("Encrypt", arn,
        () -> async.encrypt(encryptRequest(arn, dataKey, context)), r -> encrypted(arn, r), w -> {}), w -> {});
  }

  @Override
  public SecretBytes unwrap(WrappedKey wrapped, EncryptionContext context) {
    Objects.requireNonNull(wrapped, "wrapped");
    Objects.requireNonNull(context, "context");
    String decryptKey = decryptKeyFor(wrapped);
    DecryptRequest request = decryptRequest(decryptKey, wrapped, context);
    return plaintext(decryptKey, call("Decrypt", decryptKey, () -> client.decrypt(request)));
  }

  /** One {@code Decrypt} (with {@code KeyId}) on the async client; see the class comment. */
  @Override
  public CompletableFuture<SecretBytes> unwrapAsync(WrappedKey wrapped, EncryptionContext context, Executor executor) {
    Objects.requireNonNull(wrapped, "wrapped");
    Objects.requireNonNull(context, "context");
    Objects.requireNonNull(executor, "executor");
    KmsAsyncClient async;
    KmsArn named;
    try {
      async = asyncClient();
      if (async == null) {
        return MasterKey.super.unwrapAsync(wrapped, context, executor);
      }
      named = namedKey(wrapped);
      if (isDiscovery()) {
        return decryptAsync(async, discoveryDecryptKey(wrapped, named), wrapped, context);
      }
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return withKeyArnAsync(async, own -> decryptAsync(async, ownDecryptKey(wrapped, named, own), wrapped, context),
        SecretBytes::destroy);
  }

  private CompletableFuture<SecretBytes> decryptAsync(KmsAsyncClient async, String decryptKey, WrappedKey wrapped,
      EncryptionContext context) {
    return callAsync("Decrypt", decryptKey, () -> async.decrypt(decryptRequest(decryptKey, wrapped, context)),
        r -> plaintext(decryptKey, r), SecretBytes::destroy);
  }

  /**
   * To another (non-discovery) AWS KMS key in the same region: one {@code ReEncrypt} from this key
   * to it, so the data key never leaves KMS (needs {@code kms:ReEncryptFrom} here and
   * {@code kms:ReEncryptTo} there). Otherwise unwrap here and wrap there.
   */
  @Override
  public WrappedKey rewrap(WrappedKey wrapped, MasterKey destination, EncryptionContext context) {
    Objects.requireNonNull(wrapped, "wrapped");
    Objects.requireNonNull(destination, "destination");
    Objects.requireNonNull(context, "context");
    if (destination instanceof AwsKmsMasterKey d && !d.isDiscovery()) {
      String target = d.strictArn("wrap data keys");
      KmsArn targetArn = Objects.requireNonNull(KmsArn.parse(target));
      if (targetArn.region().equals(clientRegion)) {
        String source = decryptKeyFor(wrapped);
        ReEncryptResponse r = call("ReEncrypt", source, () -> client.reEncrypt(b -> b
            .ciphertextBlob(SdkBytes.fromByteArrayUnsafe(wrapped.unsafeCiphertext()))
            .sourceKeyId(source).sourceEncryptionContext(context.asMap())
            .destinationKeyId(target).destinationEncryptionContext(context.asMap()).overrideConfiguration(timeouts)));
        checkAnswer("ReEncrypt", source, r.sourceKeyId());
        checkAnswer("ReEncrypt", target, r.keyId());
        return wrapped("ReEncrypt", target, r.destinationKeyMaterialId(), r.ciphertextBlob());
      }
    }
    return MasterKey.super.rewrap(wrapped, destination, context);
  }

  /**
   * Whether {@code wrapped} names this key: the same key ARN, a replica of this multi-Region key,
   * or, in discovery mode, any key the filter allows. An alias not yet resolved is resolved here;
   * if that fails this answers true so that {@link #unwrap} reports why.
   */
  @Override
  public boolean canUnwrap(WrappedKey wrapped) {
    if (!PROVIDER_ID.equals(wrapped.provider())) {
      return false;
    }
    KmsArn named = KmsArn.parse(wrapped.keyId());
    if (named == null || !named.isKey()) {
      return false;
    }
    if (isDiscovery()) {
      return allowedByFilter(named) && (named.region().equals(clientRegion) || named.isMultiRegionKey());
    }
    String own;
    try {
      own = keyArn();
    } catch (EnvelopeException e) {
      return true;
    }
    return own.equals(wrapped.keyId()) || Objects.requireNonNull(KmsArn.parse(own)).sameMultiRegionKey(named);
  }

  /** Closes the KMS clients this key created; clients passed to the builder stay open. */
  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
    KmsAsyncClient async;
    synchronized (asyncClientLock) {
      closed = true;
      async = ownAsyncClient;
      ownAsyncClient = null;
    }
    if (async != null) {
      async.close();
    }
  }

  @Override
  public String toString() {
    return "AwsKmsMasterKey[" + ref.keyId() + "]";
  }

  // ------------------------------------------------------------------ internals

  /** The key ARN Decrypt and ReEncrypt must name for {@code wrapped}. */
  private String decryptKeyFor(WrappedKey wrapped) {
    KmsArn named = namedKey(wrapped);
    return isDiscovery() ? discoveryDecryptKey(wrapped, named) : ownDecryptKey(wrapped, named, keyArn());
  }

  /** The AWS KMS key ARN {@code wrapped} names. */
  private static KmsArn namedKey(WrappedKey wrapped) {
    if (!PROVIDER_ID.equals(wrapped.provider())) {
      throw new KeyUnavailableException("the wrapped key is for provider " + wrapped.provider() + ", not "
          + PROVIDER_ID);
    }
    KmsArn named = KmsArn.parse(wrapped.keyId());
    if (named == null || !named.isKey()) {
      throw new KeyUnavailableException("the wrapped key names no AWS KMS key ARN");
    }
    return named;
  }

  private String discoveryDecryptKey(WrappedKey wrapped, KmsArn named) {
    if (!allowedByFilter(named)) {
      throw new KeyUnavailableException("key " + wrapped.keyId() + " is outside the discovery filter " + ref.keyId());
    }
    if (named.region().equals(clientRegion)) {
      return wrapped.keyId();
    }
    if (named.isMultiRegionKey()) {
      return named.withRegion(clientRegion).toString();
    }
    throw new KeyUnavailableException("key " + wrapped.keyId() + " is not in region " + clientRegion
        + " and is not a multi-Region key");
  }

  /** This key's ARN when {@code wrapped} names it or a multi-Region replica of it. */
  private static String ownDecryptKey(WrappedKey wrapped, KmsArn named, String own) {
    if (own.equals(wrapped.keyId()) || Objects.requireNonNull(KmsArn.parse(own)).sameMultiRegionKey(named)) {
      return own;
    }
    throw new KeyUnavailableException("the data key was wrapped by " + wrapped.keyId() + ", not by " + own);
  }

  private boolean allowedByFilter(KmsArn arn) {
    return arn.partition().equals(partition) && accounts.contains(arn.account());
  }

  private String strictArn(String what) {
    checkNotDiscovery(what);
    return keyArn();
  }

  private void checkNotDiscovery(String what) {
    if (isDiscovery()) {
      throw new IllegalStateException("a discovery key can only unwrap; build a key with keyId(...) to " + what);
    }
  }

  /** The key ARN, resolving an alias or bare key id once with DescribeKey. */
  private String keyArn() {
    String arn = keyArn;
    if (arn != null) {
      return arn;
    }
    synchronized (resolving) {
      if (keyArn == null) {
        String id = Objects.requireNonNull(keyId);
        DescribeKeyRequest request = describeKeyRequest(id);
        keyArn = describedArn(id, call("DescribeKey", id, () -> client.describeKey(request)));
      }
      return keyArn;
    }
  }

  /**
   * {@link #keyArn()} for the async path: known, or resolved with one async DescribeKey shared by
   * concurrent callers; a failed resolution is retried by the next call.
   */
  private CompletableFuture<String> keyArnAsync(KmsAsyncClient async) {
    String arn = keyArn;
    if (arn != null) {
      return CompletableFuture.completedFuture(arn);
    }
    CompletableFuture<String> mine = new CompletableFuture<>();
    CompletableFuture<String> running = resolvingAsync.compareAndExchange(null, mine);
    if (running != null) {
      return running;
    }
    String id = Objects.requireNonNull(keyId);
    callAsync("DescribeKey", id, () -> async.describeKey(describeKeyRequest(id)), r -> describedArn(id, r), a -> {})
        .whenComplete((answered, error) -> {
          if (error == null) {
            keyArn = answered;
          }
          resolvingAsync.set(null);
          if (error == null) {
            mine.complete(answered);
          } else {
            mine.completeExceptionally(unwrap(error));
          }
        });
    return mine;
  }

  /** Runs {@code call} with this key's ARN, resolving an alias first if need be. */
  private <T> CompletableFuture<T> withKeyArnAsync(KmsAsyncClient async, Function<String, CompletableFuture<T>> call,
      Consumer<T> discard) {
    CompletableFuture<T> out = new CompletableFuture<>();
    keyArnAsync(async).whenComplete((arn, error) -> {
      if (error != null) {
        out.completeExceptionally(unwrap(error));
        return;
      }
      CompletableFuture<T> sent;
      try {
        sent = call.apply(arn);
      } catch (RuntimeException e) {
        out.completeExceptionally(e);
        return;
      }
      sent.whenComplete((value, failure) -> {
        if (failure != null) {
          out.completeExceptionally(unwrap(failure));
        } else if (!out.complete(value)) {
          discard.accept(value);
        }
      });
    });
    return out;
  }

  /** The async client: the given one, else this key's own (built now if need be), else null. */
  private @Nullable KmsAsyncClient asyncClient() {
    if (givenAsyncClient != null) {
      return givenAsyncClient;
    }
    if (settings == null) {
      return null;
    }
    KmsAsyncClient own = ownAsyncClient;
    if (own != null) {
      return own;
    }
    synchronized (asyncClientLock) {
      if (closed) {
        throw new IllegalStateException("this AwsKmsMasterKey is closed");
      }
      if (ownAsyncClient == null) {
        ownAsyncClient = settings.kmsAsyncClient(clientRegion);
      }
      return ownAsyncClient;
    }
  }

  // The requests and the checks of their answers, one of each for the sync and the async client.

  private GenerateDataKeyRequest generateDataKeyRequest(String arn, EncryptionContext context) {
    return GenerateDataKeyRequest.builder().keyId(arn).keySpec(DataKeySpec.AES_256)
        .encryptionContext(context.asMap()).overrideConfiguration(timeouts).build();
  }

  private EncryptRequest encryptRequest(String arn, SecretBytes dataKey, EncryptionContext context) {
    return EncryptRequest.builder().keyId(arn).plaintext(SdkBytes.fromByteArrayUnsafe(dataKey.unsafeBytes()))
        .encryptionContext(context.asMap()).overrideConfiguration(timeouts).build();
  }

  private DecryptRequest decryptRequest(String decryptKey, WrappedKey wrapped, EncryptionContext context) {
    return DecryptRequest.builder().keyId(decryptKey)
        .ciphertextBlob(SdkBytes.fromByteArrayUnsafe(wrapped.unsafeCiphertext())).encryptionContext(context.asMap())
        .overrideConfiguration(timeouts).build();
  }

  private DescribeKeyRequest describeKeyRequest(String id) {
    return DescribeKeyRequest.builder().keyId(id).overrideConfiguration(timeouts).build();
  }

  private static DataKey dataKey(String arn, GenerateDataKeyResponse r) {
    SecretBytes plaintext = r.plaintext() == null ? null : take(r.plaintext());
    try {
      checkAnswer("GenerateDataKey", arn, r.keyId());
      if (plaintext == null || plaintext.length() != DATA_KEY_LENGTH) {
        throw new KmsException("AWS KMS GenerateDataKey with key " + arn + " returned no 32-byte data key", false);
      }
      return new DataKey(plaintext, wrapped("GenerateDataKey", arn, r.keyMaterialId(), r.ciphertextBlob()));
    } catch (RuntimeException e) {
      if (plaintext != null) {
        plaintext.destroy();
      }
      throw e;
    }
  }

  private static WrappedKey encrypted(String arn, EncryptResponse r) {
    checkAnswer("Encrypt", arn, r.keyId());
    return wrapped("Encrypt", arn, null, r.ciphertextBlob());
  }

  private static SecretBytes plaintext(String decryptKey, DecryptResponse r) {
    SecretBytes plaintext = r.plaintext() == null ? null : take(r.plaintext());
    try {
      checkAnswer("Decrypt", decryptKey, r.keyId());
      if (plaintext == null) {
        throw new KmsException("AWS KMS Decrypt with key " + decryptKey + " returned no plaintext", false);
      }
      return plaintext;
    } catch (RuntimeException e) {
      if (plaintext != null) {
        plaintext.destroy();
      }
      throw e;
    }
  }

  private String describedArn(String id, DescribeKeyResponse r) {
    String answered = r.keyMetadata() == null ? null : r.keyMetadata().arn();
    KmsArn parsed = KmsArn.parse(answered);
    if (answered == null || parsed == null || !parsed.isKey() || !parsed.region().equals(clientRegion)) {
      throw new KmsException("AWS KMS DescribeKey for " + id + " answered no key ARN in region " + clientRegion, false);
    }
    return answered;
  }

  private static void checkAnswer(String operation, String expected, @Nullable String answered) {
    if (!expected.equals(answered)) {
      throw new KmsException("AWS KMS answered " + operation + " for key " + expected + " with key " + answered
          + "; the answer was discarded", false);
    }
  }

  private static WrappedKey wrapped(String operation, String arn, @Nullable String materialId,
      @Nullable SdkBytes blob) {
    byte[] ciphertext = blob == null ? new byte[0] : blob.asByteArray();
    if (ciphertext.length == 0 || ciphertext.length > WrappedKey.MAX_CIPHERTEXT_LENGTH) {
      throw new KmsException("AWS KMS " + operation + " with key " + arn + " returned a ciphertext of "
          + ciphertext.length + " bytes", false);
    }
    String version = materialId == null || materialId.length() > WrappedKey.MAX_VERSION_LENGTH ? "" : materialId;
    return new WrappedKey(PROVIDER_ID, arn, version, ciphertext);
  }

  /** Copies a plaintext out of the SDK's answer and zeroes the SDK's buffer. */
  private static SecretBytes take(SdkBytes bytes) {
    byte[] raw = bytes.asByteArrayUnsafe();
    try {
      return SecretBytes.copyOf(raw);
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
  }

  private static <T> T call(String operation, String keyId, Supplier<T> request) {
    try {
      return request.get();
    } catch (SdkException e) {
      throw KmsErrors.map(operation, keyId, e);
    }
  }

  /**
   * {@link #call} on the async client, then {@code answer} (the same check as the sync path). The
   * future fails with the mapped Envelope exception itself; an answer nobody takes any more (the
   * future was cancelled) goes to {@code discard}, which zeroes plaintexts.
   */
  private static <R, T> CompletableFuture<T> callAsync(String operation, String keyId,
      Supplier<CompletableFuture<R>> request, Function<R, T> answer, Consumer<T> discard) {
    CompletableFuture<T> out = new CompletableFuture<>();
    CompletableFuture<R> sent;
    try {
      sent = request.get();
    } catch (RuntimeException e) {
      out.completeExceptionally(mapped(operation, keyId, e));
      return out;
    }
    sent.whenComplete((r, error) -> {
      if (error != null) {
        out.completeExceptionally(mapped(operation, keyId, error));
        return;
      }
      T value;
      try {
        value = answer.apply(r);
      } catch (RuntimeException e) {
        out.completeExceptionally(e);
        return;
      }
      if (!out.complete(value)) {
        discard.accept(value);
      }
    });
    return out;
  }

  private static Throwable mapped(String operation, String keyId, Throwable error) {
    Throwable e = unwrap(error);
    return e instanceof SdkException sdk ? KmsErrors.map(operation, keyId, sdk) : e;
  }

  private static Throwable unwrap(Throwable t) {
    Throwable e = t;
    while (e instanceof CompletionException && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  /**
   * Settings of an {@link AwsKmsMasterKey}. Without {@link #client}, the key builds its own
   * {@code KmsClient} on the URLConnection HTTP client with the SDK's default credentials chain,
   * the region of the key ARN (else {@link #region} or the SDK's default region chain) and the
   * SDK's endpoint resolution, which honours {@code AWS_ENDPOINT_URL_KMS} and
   * {@code AWS_ENDPOINT_URL}; without {@link #asyncClient} it builds a {@code KmsAsyncClient} with
   * the same settings on the Netty HTTP client when first used asynchronously.
   */
  public static final class Builder {
    private final @Nullable String partition;
    private final Set<String> accounts;
    private final AwsClientSettings settings = new AwsClientSettings();
    private @Nullable String keyId;
    private @Nullable KmsClient client;
    private @Nullable KmsAsyncClient asyncClient;

    private Builder(@Nullable String partition, Set<String> accounts) {
      this.partition = partition;
      this.accounts = accounts;
    }

    /** Key ARN (best: no lookup, works for decrypt-only callers), alias name, alias ARN or key id. */
    public Builder keyId(String keyId) {
      if (keyId == null || keyId.isEmpty() || keyId.length() > 2048 || keyId.chars().anyMatch(Character::isWhitespace)) {
        throw new IllegalArgumentException("keyId must be a key ARN, alias name, alias ARN or key id");
      }
      this.keyId = keyId;
      return this;
    }

    /** Your own client; the key never closes it. Excludes endpoint, region, credentials and maxAttempts. */
    public Builder client(KmsClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Your own async client for the async methods (e.g. with your own {@code SdkAsyncHttpClient},
     * event loop or interceptors); the key never closes it. It must be in the same region as the
     * sync client. The deadline and attempt timeout are applied per request, as on the sync client.
     */
    public Builder asyncClient(KmsAsyncClient asyncClient) {
      this.asyncClient = Objects.requireNonNull(asyncClient, "asyncClient");
      return this;
    }

    /** Endpoint override, e.g. the testkit fake or a VPC endpoint. */
    public Builder endpoint(URI endpoint) {
      settings.endpoint(endpoint);
      return this;
    }

    /** The region of the clients this key builds; by default the key ARN's region. */
    public Builder region(String region) {
      settings.region(region);
      return this;
    }

    public Builder credentialsProvider(AwsCredentialsProvider credentials) {
      settings.credentialsProvider(credentials);
      return this;
    }

    /** Attempts per operation, first try included, of the SDK standard retry strategy (1..20). */
    public Builder maxAttempts(int maxAttempts) {
      settings.maxAttempts(maxAttempts);
      return this;
    }

    /**
     * Time for one operation including the SDK's retries and backoff (its
     * {@code apiCallTimeout}); after it a retryable {@link KmsException}. Default 10 s, at most 10 min.
     */
    public Builder deadline(Duration deadline) {
      settings.deadline(deadline);
      return this;
    }

    /** Time for one HTTP attempt (the SDK's {@code apiCallAttemptTimeout}); default 3 s, capped by the deadline. */
    public Builder attemptTimeout(Duration attemptTimeout) {
      settings.attemptTimeout(attemptTimeout);
      return this;
    }

    /**
     * @throws IllegalStateException if no keyId is set (or one is set for discovery), if client is
     *     combined with endpoint/region/credentials/maxAttempts, if the key ARN's region differs
     *     from the region or the client's region, if the async client's region differs from the
     *     sync client's, or if no region can be found
     */
    public AwsKmsMasterKey build() {
      if (partition == null && keyId == null) {
        throw new IllegalStateException("keyId is required");
      }
      if (partition != null && keyId != null) {
        throw new IllegalStateException("a discovery key takes no keyId");
      }
      settings.checkTimeouts();
      KmsArn arn = KmsArn.parse(keyId);
      if (keyId != null && keyId.startsWith("arn:") && arn == null) {
        throw new IllegalStateException("keyId is not a KMS key or alias ARN");
      }
      @Nullable String asyncRegion = asyncClient == null ? null
          : regionOf(asyncClient.serviceClientConfiguration().region(), "async KMS client");
      if (client != null) {
        if (settings.configuresClient()) {
          throw new IllegalStateException("endpoint, region, credentialsProvider and maxAttempts configure the "
              + "client this key builds; set them on the KmsClient passed to client() instead");
        }
        String clientRegion = regionOf(client.serviceClientConfiguration().region(), "KMS client");
        checkRegion(arn, clientRegion, "the client's region");
        checkAsyncRegion(asyncRegion, clientRegion);
        return new AwsKmsMasterKey(this, client, false, clientRegion, null);
      }
      String r = settings.region() != null ? settings.region() : arn != null ? arn.region() : asyncRegion;
      checkRegion(arn, r, "region(...)");
      KmsClient own = settings.kmsClient(r);
      try {
        String clientRegion = regionOf(own.serviceClientConfiguration().region(), "KMS client");
        checkAsyncRegion(asyncRegion, clientRegion);
        return new AwsKmsMasterKey(this, own, true, clientRegion, settings.copy());
      } catch (RuntimeException e) {
        own.close();
        throw e;
      }
    }

    private static void checkRegion(@Nullable KmsArn arn, @Nullable String region, String what) {
      if (arn != null && region != null && !arn.region().equals(region)) {
        throw new IllegalStateException("the key ARN is in region " + arn.region() + " but " + what + " is " + region
            + "; for a multi-Region key use the replica ARN of that region");
      }
    }

    private static void checkAsyncRegion(@Nullable String asyncRegion, String clientRegion) {
      if (asyncRegion != null && !asyncRegion.equals(clientRegion)) {
        throw new IllegalStateException("the async KMS client is in region " + asyncRegion + " but the KMS client is in "
            + clientRegion);
      }
    }

    private static String regionOf(@Nullable Region region, String what) {
      if (region == null) {
        throw new IllegalStateException("the " + what + " has no region");
      }
      return region.id();
    }
  }
}
