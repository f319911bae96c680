package org.moellava.analysis;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** {@link RoutingStatistics} as JSON: expert loading, modality split and the top activated pathways. */
public final class RoutingReport {
  /** Pathways listed. */
  public static final int TOP_PATHWAYS = 10;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private RoutingReport() {}

  /** The statistics as a JSON tree; {@code model} and {@code data} name what was analysed. */
  public static ObjectNode toJsonTree(RoutingStatistics stats, String model, String data) {
    ObjectNode root = JSON.createObjectNode();
    root.put("model", model);
    root.put("data", data);
    root.put("experts", stats.experts());
    root.put("top_k", stats.topK());
    ObjectNode tokens = root.putObject("tokens");
    tokens.put("total", stats.totalTokens());
    tokens.put("text", stats.tokens(false));
    tokens.put("image", stats.tokens(true));
    ArrayNode layers = root.putArray("layers");
    for (int l = 0; l < stats.layers().size(); l++) {
      ObjectNode layer = layers.addObject();
      layer.put("layer", stats.layers().get(l));
      ArrayNode experts = layer.putArray("experts");
      for (int e = 0; e < stats.experts(); e++) {
        ObjectNode x = experts.addObject();
        x.put("expert", e);
        x.put("load_share", stats.loadShare(l, e));
        x.put("assignments", stats.assignments(l, e));
        x.put("text_assignments", stats.assignments(l, e, false));
        x.put("image_assignments", stats.assignments(l, e, true));
        x.put("image_fraction", stats.imageFraction(l, e));
        x.put("top1_tokens", stats.top1(l, e));
      }
    }
    ObjectNode pathways = root.putObject("pathways");
    pathways.put("distinct", stats.distinctPathways());
    pathways.set("all", pathways(stats.topPathways(TOP_PATHWAYS, null)));
    pathways.set("text", pathways(stats.topPathways(TOP_PATHWAYS, false)));
    pathways.set("image", pathways(stats.topPathways(TOP_PATHWAYS, true)));
    return root;
  }

  /** Pretty-printed JSON. */
  public static String toJson(RoutingStatistics stats, String model, String data) {
    try {
      return JSON.writeValueAsString(toJsonTree(stats, model, data));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("routing report serialisation failed", e);
    }
  }

  private static ArrayNode pathways(List<Pathway> list) {
    ArrayNode out = JSON.createArrayNode();
    for (Pathway p : list) {
      ObjectNode n = out.addObject();
      ArrayNode experts = n.putArray("experts");
      p.experts().forEach(experts::add);
      n.put("tokens", p.tokens());
      n.put("share", p.share());
    }
    return out;
  }
}
