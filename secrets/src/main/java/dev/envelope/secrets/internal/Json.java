package dev.envelope.secrets.internal;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidDefinitionException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.envelope.secrets.SecretFormatException;
import java.io.IOException;
import java.util.stream.Collectors;

/** Binds JSON secrets to types without ever letting the secret's text into an error. */
public final class Json {
  // Secrets written by rotation functions carry extra fields (AWS RDS adds dbInstanceIdentifier,
  // masterarn, ...), so unknown fields are ignored; trailing content means a corrupt value.
  private static final JsonMapper MAPPER = JsonMapper.builder()
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
      .build();

  private Json() {}

  /**
   * Parses {@code json} into {@code type}. Jackson's messages quote the offending input, which
   * here is a secret, so they are replaced by position and field path and the cause is dropped.
   */
  public static <T> T parse(byte[] json, Class<T> type, String describe) {
    try {
      T value = MAPPER.readValue(json, type);
      if (value == null) {
        throw new SecretFormatException(describe + " is JSON null, not a " + type.getSimpleName());
      }
      return value;
    } catch (InvalidDefinitionException e) {
      // About the target type, not the input: safe and useful to show.
      throw new SecretFormatException(describe + " cannot be bound to " + type.getName() + ": "
          + e.getOriginalMessage());
    } catch (StreamReadException e) {
      throw new SecretFormatException(describe + " is not valid JSON" + where(e));
    } catch (JsonMappingException e) {
      throw new SecretFormatException(describe + " does not fit " + type.getSimpleName() + where(e)
          + path(e));
    } catch (IOException e) {
      throw new SecretFormatException(describe + " could not be read as JSON (" + e.getClass().getSimpleName() + ")");
    }
  }

  private static String where(JsonProcessingException e) {
    JsonLocation loc = e.getLocation();
    return loc == null ? "" : " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
  }

  private static String path(JsonMappingException e) {
    if (e.getPath().isEmpty()) {
      return "";
    }
    return " at " + e.getPath().stream()
        .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
        .collect(Collectors.joining("."));
  }
}
