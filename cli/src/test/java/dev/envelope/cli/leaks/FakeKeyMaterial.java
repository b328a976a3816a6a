package dev.envelope.cli.leaks;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.math.BigInteger;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPrivateKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.SecretKey;

/**
 * The master-key material inside the testkit's fakes, which they do not expose: found by walking
 * a fake's object graph by reflection (tests run on the class path, so the fields are readable).
 * Collects AES keys ({@link SecretKey}), RSA private keys (their PKCS#8 encoding and the private
 * exponent and primes as big-endian bytes, as a JWK would carry them) and {@code byte[]} fields
 * named {@code material} (the GCP fake's key versions). Only the testkit's own classes are entered;
 * JDK collections are read through their public API.
 */
public final class FakeKeyMaterial {
  public record Material(String kind, byte[] bytes) {}

  private final List<Material> found = new ArrayList<>();
  private final Set<Object> visited = Collections.newSetFromMap(new IdentityHashMap<>());

  private FakeKeyMaterial() {}

  public static List<Material> of(Object fake) {
    FakeKeyMaterial walk = new FakeKeyMaterial();
    walk.visit(fake, 0);
    return walk.found;
  }

  private void visit(Object o, int depth) {
    if (o == null || depth > 12 || !visited.add(o)) {
      return;
    }
    if (o instanceof SecretKey k) {
      found.add(new Material("AES key", k.getEncoded()));
    } else if (o instanceof KeyPair kp) {
      visit(kp.getPrivate(), depth + 1);
    } else if (o instanceof PrivateKey pk) {
      found.add(new Material("private key PKCS#8", pk.getEncoded()));
      if (pk instanceof RSAPrivateKey rsa) {
        found.add(new Material("RSA private exponent", unsigned(rsa.getPrivateExponent())));
      }
      if (pk instanceof RSAPrivateCrtKey crt) {
        found.add(new Material("RSA prime p", unsigned(crt.getPrimeP())));
        found.add(new Material("RSA prime q", unsigned(crt.getPrimeQ())));
      }
    } else if (o instanceof Map<?, ?> m) {
      for (Object v : new ArrayList<>(m.values())) {
        visit(v, depth + 1);
      }
    } else if (o instanceof Collection<?> c) {
      for (Object v : new ArrayList<>(c)) {
        visit(v, depth + 1);
      }
    } else if (o.getClass().getName().startsWith("dev.envelope.testkit.")) {
      for (Class<?> c = o.getClass(); c != null && c != Object.class; c = c.getSuperclass()) {
        for (Field f : c.getDeclaredFields()) {
          if (Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
            continue;
          }
          Object v;
          try {
            f.setAccessible(true);
            v = f.get(o);
          } catch (ReflectiveOperationException | RuntimeException e) {
            continue;
          }
          if (v instanceof byte[] b && f.getName().equals("material")) {
            found.add(new Material("key material", b.clone()));
          } else {
            visit(v, depth + 1);
          }
        }
      }
    }
  }

  private static byte[] unsigned(BigInteger n) {
    byte[] b = n.toByteArray();
    return b[0] == 0 ? Arrays.copyOfRange(b, 1, b.length) : b;
  }
}
