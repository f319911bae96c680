package org.moellava.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.moellava.config.Presets;
import org.moellava.graph.variables.VariableNames;
import org.moellava.pkg.PackageQuantization;
import org.moellava.tensor.TensorValue;

/** Bytes a decode step reads, against sums worked out by hand. */
class DecodeBytesTest {
  private static final String DENSE = "llm/layers_1/mlp/gate_proj/kernel";
  private static final String EXPERTS = "llm/layers_0/mlp/experts/up_proj";

  /** tiny: E = 4, k = 2, untied embeddings. */
  private static Map<String, TensorValue> weights() {
    Map<String, TensorValue> w = new LinkedHashMap<>();
    w.put(VariableNames.EMBED_TOKENS, TensorValue.filled(0, 100, 64)); // one row a step: not counted
    w.put(DENSE, TensorValue.filled(0, 64, 128)); // 8192 elements
    w.put(EXPERTS, TensorValue.filled(0, 4, 64, 32)); // 8192 elements, k / E = 1/2 read
    w.put("llm/norm/gamma", TensorValue.filled(0, 64)); // fp32 always
    w.put("vision/layers_0/mlp/fc1/kernel", TensorValue.filled(0, 32, 32)); // not in a decode step
    return w;
  }

  @Test
  void fp32ReadsFourBytesAnActivatedElement() {
    // 8192 + 4096 + 64 elements, 4 bytes each
    assertEquals(4.0 * (8192 + 4096 + 64), DecodeBytes.perToken(Presets.get(Presets.TINY), weights(), null), 1e-9);
  }

  @Test
  void quantizedTensorsReadCodesScalesAndZeroPoints() {
    Map<String, String> ids = Map.of(DENSE, "int4-b32-sym", EXPERTS, "int4-b32-sym");
    PackageQuantization sym = new PackageQuantization("int4", 4, 32, true, 0, ids);
    // (8192 + 4096) elements: half a byte each plus a 4-byte scale per 32; the norm stays fp32
    double expected = 12288 * 0.5 + 12288 / 32.0 * 4 + 64 * 4;
    assertEquals(expected, DecodeBytes.perToken(Presets.get(Presets.TINY), weights(), sym), 1e-9);
    PackageQuantization asym = new PackageQuantization("int4", 4, 32, false, 0,
        Map.of(DENSE, "int4-b32-asym", EXPERTS, "int4-b32-asym"));
    // plus half a byte of zero point per block
    assertEquals(expected + 12288 / 32.0 * 0.5, DecodeBytes.perToken(Presets.get(Presets.TINY), weights(), asym),
        1e-9);
  }

  @Test
  void perChannelTensorsReadOneScalePerOutputColumn() {
    Map<String, String> ids = Map.of(DENSE, PackageQuantization.PER_CHANNEL_ID, EXPERTS,
        PackageQuantization.PER_CHANNEL_ID);
    PackageQuantization qdq = new PackageQuantization("int8", 8, PackageQuantization.PER_CHANNEL, true, 0, ids,
        PackageQuantization.QDQ);
    // dense [64, 128]: 8192 codes + 128 scales of 4 bytes; experts [4, 64, 32]: (8192 codes + 4 x 32 scales x 4
    // bytes) x k / E = 1/2; the norm stays fp32
    double expected = 8192 + 128 * 4 + (8192 + 128 * 4) / 2.0 + 64 * 4;
    assertEquals(expected, DecodeBytes.perToken(Presets.get(Presets.TINY), weights(), qdq), 1e-9);
  }
}
