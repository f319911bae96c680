package org.moellava.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.moellava.error.ConfigException;

/**
 * Which decoder layers are MoE layers: a named placement or an explicit list of layer indices.
 * In {@code config.json} it is either a string ({@code "sparse"}, {@code "first_half"},
 * {@code "second_half"}, {@code "all"}, {@code "none"}) or a JSON list of integers.
 *
 * @param mode the placement, {@link Mode#EXPLICIT} when {@code explicitLayers} is used
 * @param explicitLayers the layer indices for {@link Mode#EXPLICIT}, otherwise empty
 */
public record MoeLayers(Mode mode, List<Integer> explicitLayers) {

  /** Named placements. */
  public enum Mode {
    /** Layers 0, 2, 4, ... (the MoE-LLaVA default). */
    SPARSE,
    FIRST_HALF,
    SECOND_HALF,
    ALL,
    /** A dense model (stage I/II). */
    NONE,
    EXPLICIT
  }

  public MoeLayers {
    explicitLayers = List.copyOf(explicitLayers);
  }

  public static MoeLayers of(Mode mode) {
    return new MoeLayers(mode, List.of());
  }

  public static MoeLayers explicit(List<Integer> layers) {
    return new MoeLayers(Mode.EXPLICIT, layers);
  }

  /** Jackson: a string mode or a list of layer indices. */
  @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
  public static MoeLayers fromJson(JsonNode node) {
    if (node.isTextual()) {
      String text = node.asText();
      for (Mode m : Mode.values()) {
        if (m != Mode.EXPLICIT && m.name().toLowerCase(Locale.ROOT).equals(text)) {
          return of(m);
        }
      }
      throw new ConfigException("text_config.moe_layers: unknown placement '" + text
          + "' (expected sparse, first_half, second_half, all, none, or a list of layer indices)");
    }
    if (node.isArray()) {
      List<Integer> layers = new ArrayList<>();
      for (JsonNode n : node) {
        if (!n.isInt()) {
          throw new ConfigException("text_config.moe_layers: expected integer layer indices, got " + n);
        }
        layers.add(n.asInt());
      }
      return explicit(layers);
    }
    throw new ConfigException(
        "text_config.moe_layers: expected a placement name or a list of layer indices, got " + node);
  }

  /** Jackson: the inverse of {@link #fromJson}. */
  @JsonValue
  public Object toJson() {
    return mode == Mode.EXPLICIT ? explicitLayers : mode.name().toLowerCase(Locale.ROOT);
  }

  /** The sorted MoE layer indices of a decoder with {@code numLayers} layers. */
  public List<Integer> resolve(int numLayers) {
    List<Integer> out = new ArrayList<>();
    switch (mode) {
      case SPARSE -> {
        for (int i = 0; i < numLayers; i += 2) out.add(i);
      }
      case FIRST_HALF -> {
        for (int i = 0; i < numLayers / 2; i++) out.add(i);
      }
      case SECOND_HALF -> {
        for (int i = numLayers / 2; i < numLayers; i++) out.add(i);
      }
      case ALL -> {
        for (int i = 0; i < numLayers; i++) out.add(i);
      }
      case NONE -> { }
      case EXPLICIT -> explicitLayers.stream().sorted().distinct().forEach(out::add);
    }
    return List.copyOf(out);
  }
}
