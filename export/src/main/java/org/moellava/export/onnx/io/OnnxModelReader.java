package org.moellava.export.onnx.io;

import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.StringStringEntryProto;
import org.moellava.export.onnx.proto.TensorProto;

/** Reads an ONNX model file, optionally pulling external initializer data back inline. */
public final class OnnxModelReader {
  private OnnxModelReader() {}

  /** The model in {@code path} as stored (external tensors keep their references). */
  public static ModelProto read(Path path) {
    try (InputStream in = Files.newInputStream(path)) {
      return ModelProto.parseFrom(in);
    } catch (IOException e) {
      throw new InvalidInputException(path + ": not a readable ONNX model: " + e.getMessage(), e);
    }
  }

  /** The model in {@code path} with every external initializer loaded into {@code raw_data}. */
  public static ModelProto readWithExternalData(Path path) {
    ModelProto model = read(path);
    GraphProto.Builder graph = model.getGraph().toBuilder().clearInitializer();
    for (TensorProto t : model.getGraph().getInitializerList()) {
      graph.addInitializer(t.getDataLocation() == TensorProto.DataLocation.EXTERNAL ? load(path, t) : t);
    }
    return model.toBuilder().setGraph(graph).build();
  }

  private static TensorProto load(Path modelPath, TensorProto t) {
    String location = null;
    long offset = 0;
    long length = -1;
    for (StringStringEntryProto e : t.getExternalDataList()) {
      switch (e.getKey()) {
        case "location" -> location = e.getValue();
        case "offset" -> offset = Long.parseLong(e.getValue());
        case "length" -> length = Long.parseLong(e.getValue());
        default -> { }
      }
    }
    if (location == null || length < 0) {
      throw new InvalidInputException(modelPath + ": initializer '" + t.getName()
          + "' has external data without location or length");
    }
    Path data = modelPath.resolveSibling(location);
    try (FileChannel ch = FileChannel.open(data, StandardOpenOption.READ)) {
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate((int) length);
      while (buf.hasRemaining()) {
        if (ch.read(buf, offset + buf.position()) < 0) {
          throw new IOException("file ends before offset " + (offset + length));
        }
      }
      buf.flip();
      return t.toBuilder().clearExternalData().clearDataLocation().setRawData(ByteString.copyFrom(buf)).build();
    } catch (IOException e) {
      throw new InvalidInputException(data + ": cannot read data of initializer '" + t.getName() + "': "
          + e.getMessage(), e);
    }
  }
}
