package org.moellava.export.onnx.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.StringStringEntryProto;
import org.moellava.export.onnx.proto.TensorProto;
import org.moellava.io.AtomicFiles;

/**
 * Writes an ONNX model file. When the initializers hold more than a threshold of bytes in total (2 GB by
 * default: a protobuf message cannot be larger), their data goes to ONNX external data: a {@code .data} file
 * next to the model ({@code model.onnx} -> {@code model.onnx.data}), each tensor with
 * {@code data_location=EXTERNAL} and {@code location/offset/length} entries. Offsets are 4096-aligned so
 * runtimes can memory-map the file. Both files are written to temporary siblings and renamed into place.
 */
public final class OnnxModelWriter {
  /** Default total initializer size above which data goes external: 2 GB minus headroom for the graph. */
  public static final long DEFAULT_EXTERNAL_THRESHOLD = 2_000_000_000L;
  /** Initializers smaller than this stay inline even when the model uses external data. */
  public static final int MIN_EXTERNAL_TENSOR_BYTES = 128;
  private static final int ALIGNMENT = InitializerSpill.ALIGNMENT;

  private final long externalThreshold;

  /** A writer with the default 2 GB threshold. */
  public OnnxModelWriter() {
    this(DEFAULT_EXTERNAL_THRESHOLD);
  }

  /** A writer that uses external data when the initializers total more than {@code externalThreshold} bytes. */
  public OnnxModelWriter(long externalThreshold) {
    this.externalThreshold = externalThreshold;
  }

  /** The external data file for model file {@code modelPath}. */
  public static Path dataFileFor(Path modelPath) {
    return modelPath.resolveSibling(modelPath.getFileName() + ".data");
  }

  /** Writes {@code model} to {@code modelPath} (and its {@code .data} file when needed). */
  public void write(ModelProto model, Path modelPath) {
    long total = 0;
    for (TensorProto t : model.getGraph().getInitializerList()) total += t.getRawData().size();
    Path dataPath = dataFileFor(modelPath);
    ModelProto toWrite = model;
    if (total > externalThreshold) {
      toWrite = writeExternal(model, dataPath);
    } else {
      try {
        Files.deleteIfExists(dataPath);
      } catch (IOException e) {
        throw new InvalidInputException(dataPath + ": cannot remove stale external data: " + e.getMessage(), e);
      }
    }
    AtomicFiles.write(modelPath, toWrite.toByteArray());
  }

  /**
   * Writes {@code model}, whose large initializers were streamed into {@code spill} while it was converted, to
   * {@code modelPath} and its {@code .data} file. Initializers whose raw data is a view of {@code spill} keep their
   * bytes where they are (only {@code location/offset/length} are written); other initializers of at least
   * {@value #MIN_EXTERNAL_TENSOR_BYTES} bytes (made after the conversion, e.g. quantized weights) are appended to it.
   * When the model no longer reads a large part of the spill (fp16 or quantized copies replaced the fp32
   * originals), the tensors it reads are copied to a fresh file, in order, file to file; otherwise the spill file
   * itself becomes the {@code .data} file. The spill is closed.
   */
  public void write(ModelProto model, Path modelPath, InitializerSpill spill) {
    Path dataPath = dataFileFor(modelPath);
    String location = dataPath.getFileName().toString();
    GraphProto.Builder graph = model.getGraph().toBuilder().clearInitializer();
    java.util.List<TensorProto> external = new java.util.ArrayList<>();
    java.util.List<InitializerSpill.Region> regions = new java.util.ArrayList<>();
    long used = 0;
    try (spill) {
      for (TensorProto t : model.getGraph().getInitializerList()) {
        InitializerSpill.Region r = spill.regionOf(t.getRawData());
        if (r == null && t.getRawData().size() < MIN_EXTERNAL_TENSOR_BYTES) {
          graph.addInitializer(t);
          continue;
        }
        if (r == null) r = spill.append(t.getRawData().asReadOnlyByteBuffer());
        external.add(t);
        regions.add(r);
        used += r.length();
      }
      long waste = spill.size() - used;
      Path source = spill.file();
      if (waste > spill.size() / 10) { // compact: copy what is read, drop the rest
        Path tmp = Files.createTempFile(dataPath.toAbsolutePath().getParent(), "." + location + ".", ".tmp");
        try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(tmp,
            java.nio.file.StandardOpenOption.WRITE)) {
          long offset = 0;
          for (int i = 0; i < regions.size(); i++) {
            long aligned = (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
            spill.copyTo(regions.get(i), out, aligned);
            regions.set(i, new InitializerSpill.Region(aligned, regions.get(i).length()));
            offset = aligned + regions.get(i).length();
          }
        } catch (IOException | RuntimeException e) {
          Files.deleteIfExists(tmp);
          throw e;
        }
        Files.delete(source);
        source = tmp;
        try { // a temporary file is private (rw-------); the package's files are readable like the spill was
          Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        } catch (UnsupportedOperationException e) {
          // not a POSIX file system: keep its default permissions
        }
      }
      for (int i = 0; i < external.size(); i++) {
        graph.addInitializer(external.get(i).toBuilder().clearRawData()
            .setDataLocation(TensorProto.DataLocation.EXTERNAL)
            .addExternalData(entry("location", location))
            .addExternalData(entry("offset", Long.toString(regions.get(i).offset())))
            .addExternalData(entry("length", Long.toString(regions.get(i).length()))));
      }
      if (!source.equals(dataPath)) {
        try {
          Files.move(source, dataPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(source, dataPath, StandardCopyOption.REPLACE_EXISTING);
        }
      }
    } catch (IOException e) {
      throw new InvalidInputException(dataPath + ": cannot write external data: " + e.getMessage(), e);
    }
    AtomicFiles.write(modelPath, model.toBuilder().setGraph(graph).build().toByteArray());
  }

  private static ModelProto writeExternal(ModelProto model, Path dataPath) {
    String location = dataPath.getFileName().toString();
    GraphProto.Builder graph = model.getGraph().toBuilder().clearInitializer();
    Path tmp = null;
    try {
      Files.createDirectories(dataPath.toAbsolutePath().getParent());
      tmp = Files.createTempFile(dataPath.toAbsolutePath().getParent(), "." + location + ".", ".tmp");
      try (OutputStream out = Files.newOutputStream(tmp)) {
        long offset = 0;
        for (TensorProto t : model.getGraph().getInitializerList()) {
          int size = t.getRawData().size();
          if (size < MIN_EXTERNAL_TENSOR_BYTES) {
            graph.addInitializer(t);
            continue;
          }
          long aligned = (offset + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
          out.write(new byte[(int) (aligned - offset)]);
          t.getRawData().writeTo(out);
          graph.addInitializer(t.toBuilder().clearRawData()
              .setDataLocation(TensorProto.DataLocation.EXTERNAL)
              .addExternalData(entry("location", location))
              .addExternalData(entry("offset", Long.toString(aligned)))
              .addExternalData(entry("length", Integer.toString(size))));
          offset = aligned + size;
        }
      }
      try {
        Files.move(tmp, dataPath, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, dataPath, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      try {
        if (tmp != null) Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // the original error is the one to report
      }
      throw new InvalidInputException(dataPath + ": cannot write external data: " + e.getMessage(), e);
    }
    return model.toBuilder().setGraph(graph).build();
  }

  private static StringStringEntryProto entry(String key, String value) {
    return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
  }
}
