package dev.envelope.secrets.internal;

import dev.envelope.core.AccessDeniedException;
import dev.envelope.core.KmsException;
import dev.envelope.core.SecretNotFoundException;
import dev.envelope.secrets.SecretStore;
import dev.envelope.secrets.SecretValue;
import dev.envelope.secrets.Version;
import dev.envelope.secrets.VersionInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/** Secrets as files under a root directory; see {@link SecretStore#directory(Path)}. */
public final class DirectoryStore implements SecretStore {
  private final Path root;

  public DirectoryStore(Path root) {
    this.root = Objects.requireNonNull(root, "root").toAbsolutePath().normalize();
  }

  /** Resolves a name to a file strictly inside the root, segment by segment. */
  Path file(String name) {
    Names.check(name);
    if (name.startsWith("/") || name.indexOf('\\') >= 0 || name.indexOf('\0') >= 0) {
      throw new IllegalArgumentException("secret name must be a relative path with '/' separators");
    }
    Path p = root;
    for (String segment : name.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException("secret name must not contain empty, '.' or '..' segments");
      }
      p = p.resolve(segment);
    }
    if (!p.normalize().startsWith(root) || p.equals(root)) {
      throw new IllegalArgumentException("secret name must stay inside the secrets directory");
    }
    return p;
  }

  private BasicFileAttributes attributes(String name, Path file) {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      if (!a.isRegularFile()) {
        throw new SecretNotFoundException("secret '" + name + "' is not a regular file in " + root);
      }
      return a;
    } catch (IOException e) {
      throw readFailure(name, e);
    }
  }

  /** What a failed read of {@code name}'s file means to the caller. */
  private RuntimeException readFailure(String name, IOException e) {
    if (e instanceof NoSuchFileException) {
      return new SecretNotFoundException("secret '" + name + "' not found in " + root);
    }
    if (e instanceof java.nio.file.AccessDeniedException) {
      return new AccessDeniedException("no permission to read secret '" + name + "' in " + root, e);
    }
    return new KmsException("cannot read secret '" + name + "' in " + root + ": "
        + e.getClass().getSimpleName(), true, e);
  }

  private static String versionId(BasicFileAttributes a) {
    return Long.toString(a.lastModifiedTime().toMillis());
  }

  @Override
  public SecretValue get(String name, Version version) {
    Objects.requireNonNull(version, "version");
    Path file = file(name);
    BasicFileAttributes a = attributes(name, file);
    String id = versionId(a);
    if (version.kind() != Version.Kind.CURRENT && !version.equals(Version.id(id))) {
      throw new SecretNotFoundException("secret '" + name + "' has no version " + version
          + ": a secrets directory has only the current one");
    }
    if (a.size() > SecretValue.MAX_BYTES) {
      throw tooLarge(name);
    }
    byte[] bytes = null;
    try (InputStream in = Files.newInputStream(file)) {
      // The file may grow after the size check: read at most one byte more than allowed.
      bytes = in.readNBytes(SecretValue.MAX_BYTES + 1);
      if (bytes.length > SecretValue.MAX_BYTES) {
        throw tooLarge(name);
      }
      return SecretValue.of(name, id, Set.of(), bytes);
    } catch (IOException e) {
      throw readFailure(name, e);
    } finally {
      if (bytes != null) {
        Arrays.fill(bytes, (byte) 0);
      }
    }
  }

  private static KmsException tooLarge(String name) {
    return new KmsException("secret file '" + name + "' is larger than " + SecretValue.MAX_BYTES
        + " bytes", false);
  }

  @Override
  public List<VersionInfo> versions(String name) {
    Path file = file(name);
    BasicFileAttributes a = attributes(name, file);
    return List.of(new VersionInfo(versionId(a), Set.of(), VersionInfo.State.ENABLED,
        a.lastModifiedTime().toInstant()));
  }

  @Override
  public String toString() {
    return "DirectoryStore[" + root + "]";
  }
}
