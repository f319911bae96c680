package org.moellava.export.validate;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.moellava.error.InvalidInputException;
import org.moellava.runtime.Backend;
import org.moellava.runtime.DecoderInput;
import org.moellava.runtime.DecoderOutput;
import org.moellava.runtime.ModelInfo;

/**
 * The reference side of a validation run kept on disk, so that the reference (TensorFlow) and the package (ONNX
 * Runtime) need not be in memory together: {@link #recorder} wraps the reference and writes every output it gives, in
 * call order, to a directory; {@link #mirror} stands in for the package during that pass by handing back the
 * reference's latest output of the same call (nothing computed); after the reference is closed, {@link #replay} gives
 * the recorded outputs back in the same order, checking that each call has the same kind and inputs as when it was
 * recorded (a check whose reference inputs depended on the package would fail here, loudly).
 */
public final class RecordedReference {
  private RecordedReference() {}

  /** Wraps {@code reference}, recording into the existing empty directory {@code dir}. */
  public static Recorder recorder(Backend reference, Path dir) {
    return new Recorder(reference, dir);
  }

  /** A stand-in for the package during the recording pass: the recorder's latest output of the same call. */
  public static Backend mirror(Recorder recorder) {
    return new Mirror(recorder);
  }

  /** The recorded outputs of {@code dir}, in order, as a backend of {@code info}. */
  public static Backend replay(Path dir, ModelInfo info) {
    return new Replay(dir, info);
  }

  /** A recording wrapper of the reference; closing it does not close the reference. */
  public static final class Recorder implements Backend {
    private final Backend reference;
    private final Path dir;
    private int calls;
    private FloatBuffer lastFeatures;
    private FloatBuffer lastEmbeds;
    private DecoderOutput lastDecoded;

    private Recorder(Backend reference, Path dir) {
      this.reference = reference;
      this.dir = dir;
    }

    @Override
    public ModelInfo info() {
      return reference.info();
    }

    @Override
    public String name() {
      return reference.name();
    }

    @Override
    public FloatBuffer imageFeatures(FloatBuffer pixelValues, int batch) {
      long hash = hash(pixelValues);
      lastFeatures = reference.imageFeatures(pixelValues, batch);
      write("vision", hash, List.of(lastFeatures), false);
      return lastFeatures;
    }

    @Override
    public FloatBuffer embed(LongBuffer inputIds, int batch, int seq, FloatBuffer imageFeatures) {
      long hash = hash(inputIds);
      lastEmbeds = reference.embed(inputIds, batch, seq, imageFeatures);
      write("embed", hash, List.of(lastEmbeds), false);
      return lastEmbeds;
    }

    @Override
    public DecoderOutput decode(DecoderInput in) {
      long hash = hash(in);
      lastDecoded = reference.decode(in);
      List<FloatBuffer> all = new ArrayList<>();
      all.add(lastDecoded.logits());
      all.addAll(lastDecoded.presentKeys());
      all.addAll(lastDecoded.presentValues());
      all.addAll(lastDecoded.routerLogits());
      write("decode", hash, all, lastDecoded.lastPositionOnly());
      return lastDecoded;
    }

    private void write(String kind, long hash, List<FloatBuffer> buffers, boolean lastOnly) {
      Path file = dir.resolve(String.format("call-%05d.bin", calls++));
      try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(file),
          1 << 20))) {
        out.writeUTF(kind);
        out.writeLong(hash);
        out.writeBoolean(lastOnly);
        out.writeInt(buffers.size());
        for (FloatBuffer b : buffers) writeFloats(out, b);
      } catch (IOException e) {
        throw new InvalidInputException(file + ": cannot record the reference's output: " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {
      // the reference is closed by its owner
    }
  }

  private static final class Mirror implements Backend {
    private final Recorder recorder;

    Mirror(Recorder recorder) {
      this.recorder = recorder;
    }

    @Override
    public ModelInfo info() {
      return recorder.info();
    }

    @Override
    public String name() {
      return "mirror of " + recorder.name();
    }

    @Override
    public FloatBuffer imageFeatures(FloatBuffer pixelValues, int batch) {
      return recorder.lastFeatures.duplicate();
    }

    @Override
    public FloatBuffer embed(LongBuffer inputIds, int batch, int seq, FloatBuffer imageFeatures) {
      return recorder.lastEmbeds.duplicate();
    }

    @Override
    public DecoderOutput decode(DecoderInput in) {
      return recorder.lastDecoded;
    }

    @Override
    public void close() {}
  }

  private static final class Replay implements Backend {
    private final Path dir;
    private final ModelInfo info;
    private int calls;

    Replay(Path dir, ModelInfo info) {
      this.dir = dir;
      this.info = info;
    }

    @Override
    public ModelInfo info() {
      return info;
    }

    @Override
    public String name() {
      return "recorded reference";
    }

    @Override
    public FloatBuffer imageFeatures(FloatBuffer pixelValues, int batch) {
      return read("vision", hash(pixelValues)).buffers().get(0);
    }

    @Override
    public FloatBuffer embed(LongBuffer inputIds, int batch, int seq, FloatBuffer imageFeatures) {
      return read("embed", hash(inputIds)).buffers().get(0);
    }

    @Override
    public DecoderOutput decode(DecoderInput in) {
      Call c = read("decode", hash(in));
      int layers = info.numLayers();
      List<FloatBuffer> b = c.buffers();
      return new DecoderOutput(b.get(0), c.lastOnly(), b.subList(1, 1 + layers), b.subList(1 + layers, 1 + 2 * layers),
          b.subList(1 + 2 * layers, b.size()));
    }

    private record Call(boolean lastOnly, List<FloatBuffer> buffers) {}

    private Call read(String kind, long hash) {
      Path file = dir.resolve(String.format("call-%05d.bin", calls++));
      if (!Files.isRegularFile(file)) {
        throw new IllegalStateException("the recorded reference has no call " + (calls - 1) + " (" + kind + ")");
      }
      try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file),
          1 << 20))) {
        String recordedKind = in.readUTF();
        long recordedHash = in.readLong();
        if (!recordedKind.equals(kind) || recordedHash != hash) {
          throw new IllegalStateException("call " + (calls - 1) + " differs from the recorded reference's (" + kind
              + " vs recorded " + recordedKind + (recordedKind.equals(kind) ? ", other inputs" : "") + ")");
        }
        boolean lastOnly = in.readBoolean();
        int n = in.readInt();
        List<FloatBuffer> buffers = new ArrayList<>();
        for (int i = 0; i < n; i++) buffers.add(readFloats(in));
        return new Call(lastOnly, buffers);
      } catch (IOException e) {
        throw new InvalidInputException(file + ": cannot read the recorded reference: " + e.getMessage(), e);
      }
    }

    @Override
    public void close() {}
  }

  private static void writeFloats(DataOutputStream out, FloatBuffer b) throws IOException {
    FloatBuffer d = b.duplicate();
    d.rewind();
    int n = d.remaining();
    out.writeInt(n);
    ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    while (d.hasRemaining()) {
      chunk.clear();
      int k = Math.min(d.remaining(), chunk.capacity() / 4);
      for (int i = 0; i < k; i++) chunk.putFloat(d.get());
      ((OutputStream) out).write(chunk.array(), 0, k * 4);
    }
  }

  private static FloatBuffer readFloats(DataInputStream in) throws IOException {
    int n = in.readInt();
    FloatBuffer out = ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
    byte[] chunk = new byte[1 << 16];
    ByteBuffer view = ByteBuffer.wrap(chunk).order(ByteOrder.LITTLE_ENDIAN);
    int left = n;
    while (left > 0) {
      int k = Math.min(left, chunk.length / 4);
      ((InputStream) in).readNBytes(chunk, 0, k * 4);
      view.clear();
      for (int i = 0; i < k; i++) out.put(view.getFloat());
      left -= k;
    }
    out.rewind();
    return out;
  }

  private static long hash(FloatBuffer b) {
    FloatBuffer d = b.duplicate();
    d.rewind();
    long h = 1469598103934665603L;
    while (d.hasRemaining()) h = (h ^ Float.floatToRawIntBits(d.get())) * 1099511628211L;
    return h;
  }

  private static long hash(LongBuffer b) {
    LongBuffer d = b.duplicate();
    d.rewind();
    long h = 1469598103934665603L;
    while (d.hasRemaining()) h = (h ^ d.get()) * 1099511628211L;
    return h;
  }

  private static long hash(DecoderInput in) {
    long h = hash(in.inputsEmbeds()) * 31 + hash(in.attentionMask());
    h = h * 31 + hash(in.positionIds());
    return h * 31 + in.pastLength();
  }
}
