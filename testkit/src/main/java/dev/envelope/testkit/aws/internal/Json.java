package dev.envelope.testkit.aws.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/** Reading request members and writing response members of the AWS JSON 1.1 protocol. */
final class Json {
  static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  static ObjectNode object() {
    return MAPPER.createObjectNode();
  }

  static ArrayNode array(Collection<String> values) {
    ArrayNode a = MAPPER.createArrayNode();
    values.forEach(a::add);
    return a;
  }

  /** Timestamps travel as epoch seconds with a fractional part (the protocol's default format). */
  static void putTime(ObjectNode n, String name, Instant t) {
    if (t != null) {
      n.set(name, DecimalNode.valueOf(new BigDecimal(BigInteger.valueOf(t.toEpochMilli()), 3)));
    }
  }

  static String string(JsonNode req, String name, int min, int max) {
    JsonNode v = req.get(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw AwsError.of("SerializationException", "member " + name + " must be a string");
    }
    String s = v.asText();
    if (s.length() < min || s.length() > max) {
      throw AwsError.validation("1 validation error detected: Value at '" + lowerFirst(name)
          + "' failed to satisfy constraint: Member must have length between " + min + " and " + max);
    }
    return s;
  }

  static String requiredString(JsonNode req, String name, int min, int max) {
    String s = string(req, name, min, max);
    if (s == null) {
      throw AwsError.validation("1 validation error detected: Value null at '" + lowerFirst(name)
          + "' failed to satisfy constraint: Member must not be null");
    }
    return s;
  }

  static byte[] blob(JsonNode req, String name, int min, int max) {
    JsonNode v = req.get(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw AwsError.of("SerializationException", "member " + name + " must be base64 text");
    }
    byte[] b;
    try {
      b = v.binaryValue();
    } catch (IOException | IllegalArgumentException e) {
      throw AwsError.of("SerializationException", "member " + name + " is not valid base64");
    }
    if (b.length < min || b.length > max) {
      throw AwsError.validation("1 validation error detected: Value at '" + lowerFirst(name)
          + "' failed to satisfy constraint: Member must have length between " + min + " and " + max);
    }
    return b;
  }

  static Integer integer(JsonNode req, String name, int min, int max) {
    JsonNode v = req.get(name);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt()) {
      throw AwsError.of("SerializationException", "member " + name + " must be an integer");
    }
    int i = v.intValue();
    if (i < min || i > max) {
      throw AwsError.validation("1 validation error detected: Value '" + i + "' at '" + lowerFirst(name)
          + "' failed to satisfy constraint: Member must have value between " + min + " and " + max);
    }
    return i;
  }

  static boolean bool(JsonNode req, String name) {
    JsonNode v = req.get(name);
    if (v == null || v.isNull()) {
      return false;
    }
    if (!v.isBoolean()) {
      throw AwsError.of("SerializationException", "member " + name + " must be a boolean");
    }
    return v.booleanValue();
  }

  /** A string-to-string map member, e.g. EncryptionContext; empty when absent. */
  static Map<String, String> stringMap(JsonNode req, String name) {
    JsonNode v = req.get(name);
    Map<String, String> out = new TreeMap<>();
    if (v == null || v.isNull()) {
      return out;
    }
    if (!v.isObject()) {
      throw AwsError.of("SerializationException", "member " + name + " must be a map of strings");
    }
    for (Map.Entry<String, JsonNode> e : v.properties()) {
      if (!e.getValue().isTextual()) {
        throw AwsError.of("SerializationException", "member " + name + " must be a map of strings");
      }
      out.put(e.getKey(), e.getValue().asText());
    }
    return out;
  }

  private static String lowerFirst(String s) {
    return Character.toLowerCase(s.charAt(0)) + s.substring(1);
  }
}
