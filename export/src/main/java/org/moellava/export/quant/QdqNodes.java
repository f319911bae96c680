package org.moellava.export.quant;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import java.nio.ByteBuffer;
import java.util.List;
import org.moellava.export.onnx.io.InitializerSpill;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;

/**
 * The ONNX form of a {@link ChannelQuantizedMatrix} in the default domain (opset 13 and later, so 17..20 as the
 * export writes): {@code W_deq [K, N] = DequantizeLinear(W_q int8 [K, N], scale fp32 [N], axis = 1)} followed by the
 * original {@code MatMul(A [..., K], W_deq)}. No zero point is stored: DequantizeLinear's default is 0 of the type of
 * {@code x} (int8), which is also the only zero point TensorRT's Dequantize layer accepts.
 */
public final class QdqNodes {
  /** The op type. */
  public static final String DEQUANTIZE_LINEAR = "DequantizeLinear";

  private QdqNodes() {}

  /** Names of one quantized matrix: {@code base/qweight} (int8 codes), {@code base/scales}, the DQ output. */
  public record Names(String weight, String scales, String dequantized) {
    /** {@code base/qweight}, {@code base/scales}, {@code base/dequantized}. */
    public static Names of(String base) {
      return new Names(base + "/qweight", base + "/scales", base + "/dequantized");
    }
  }

  /**
   * {@code qweight} int8 {@code [K, N]} and {@code scales} fp32 {@code [N]}; with a {@code spill} the codes are
   * appended to it at once and the initializer holds a mapped view (the heap keeps no copy).
   */
  public static List<TensorProto> initializers(Names names, ChannelQuantizedMatrix q, InitializerSpill spill) {
    ByteString codes = spill != null ? spill.store(ByteBuffer.wrap(q.codes()))
        : UnsafeByteOperations.unsafeWrap(q.codes()); // q is not kept
    TensorProto w = TensorProto.newBuilder().setName(names.weight()).setDataType(TensorProto.DataType.INT8_VALUE)
        .addDims(q.k()).addDims(q.n()).setRawData(codes).build();
    return List.of(w, NBitsNodes.floats(names.scales(), q.scales(), q.n()));
  }

  /**
   * {@code DequantizeLinear(qweight, scales, axis 1) -> MatMul(a, dequantized)}; the MatMul keeps {@code nodeName}
   * and {@code output}, the DequantizeLinear is named {@code nodeName/dequantize}.
   */
  public static List<NodeProto> dequantizeMatMul(String nodeName, String a, Names names, String output) {
    NodeProto dq = NodeProto.newBuilder().setName(nodeName + "/dequantize").setOpType(DEQUANTIZE_LINEAR)
        .addInput(names.weight()).addInput(names.scales()).addOutput(names.dequantized())
        .addAttribute(NBitsNodes.intAttr("axis", 1)).build();
    NodeProto mm = NodeProto.newBuilder().setName(nodeName).setOpType("MatMul").addInput(a)
        .addInput(names.dequantized()).addOutput(output).build();
    return List.of(dq, mm);
  }
}
