package org.moellava.export.quant;

import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import org.moellava.export.onnx.proto.AttributeProto;
import org.moellava.export.onnx.proto.NodeProto;
import org.moellava.export.onnx.proto.TensorProto;

/**
 * The ONNX form of a {@link QuantizedMatrix}: initializers and the {@code com.microsoft.MatMulNBits} node that
 * computes {@code Y [..., N] = A [..., K] · dequant(B)} (ONNX Runtime contrib op, domain {@value #DOMAIN}).
 */
public final class NBitsNodes {
  /** ONNX Runtime's contrib-op domain. */
  public static final String DOMAIN = "com.microsoft";
  /** The op type. */
  public static final String MATMUL_NBITS = "MatMulNBits";

  private NBitsNodes() {}

  /** Names of the initializers of one quantized matrix. */
  public record Names(String weight, String scales, String zeroPoints) {
    /** {@code base/qweight}, {@code base/scales}, {@code base/zero_points}. */
    public static Names of(String base) {
      return new Names(base + "/qweight", base + "/scales", base + "/zero_points");
    }
  }

  /** {@code B [N, kBlocks, blobSize]} uint8, {@code scales [N, kBlocks]} fp32, {@code zero_points [N, zpBytes]}. */
  public static List<TensorProto> initializers(Names names, QuantizedMatrix q) {
    List<TensorProto> out = new ArrayList<>();
    out.add(uint8(names.weight(), q.packed(), q.n(), q.kBlocks(), q.scheme().blobSize()));
    out.add(floats(names.scales(), q.scales(), q.n(), q.kBlocks()));
    if (q.zeroPoints() != null) out.add(uint8(names.zeroPoints(), q.zeroPoints(), q.n(), q.zeroPointRowBytes()));
    return out;
  }

  /** The MatMulNBits node reading {@code a} and the initializers {@code names} of {@code q}. */
  public static NodeProto matMul(String nodeName, String a, Names names, QuantizedMatrix q, String output) {
    NodeProto.Builder b = NodeProto.newBuilder().setName(nodeName).setDomain(DOMAIN).setOpType(MATMUL_NBITS)
        .addInput(a).addInput(names.weight()).addInput(names.scales());
    if (q.zeroPoints() != null) b.addInput(names.zeroPoints());
    b.addOutput(output);
    b.addAttribute(intAttr("K", q.k())).addAttribute(intAttr("N", q.n()))
        .addAttribute(intAttr("bits", q.scheme().bits())).addAttribute(intAttr("block_size", q.scheme().blockSize()))
        .addAttribute(intAttr("accuracy_level", q.scheme().accuracyLevel()));
    return b.build();
  }

  static AttributeProto intAttr(String name, long value) {
    return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
  }

  static TensorProto uint8(String name, byte[] data, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.UINT8_VALUE)
        .setRawData(ByteString.copyFrom(data));
    for (long d : dims) t.addDims(d);
    return t.build();
  }

  static TensorProto floats(String name, float[] data, long... dims) {
    ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : data) buf.putFloat(f);
    TensorProto.Builder t = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE)
        .setRawData(ByteString.copyFrom(buf.array()));
    for (long d : dims) t.addDims(d);
    return t.build();
  }
}
