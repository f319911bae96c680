package org.moellava.hf;

import java.util.List;
import org.moellava.tensor.TensorValue;

/** How a Hugging Face tensor's layout becomes the project's TensorFlow layout, and back. */
public enum HfTransform {
  /** Same layout: embeddings {@code [V, D]}, biases, LayerNorm/RMSNorm weights (gamma) and biases (beta). */
  AS_IS,
  /** {@code nn.Linear} weight {@code [out, in]} to kernel {@code [in, out]}; routers {@code [E, D]} to {@code [D, E]}. */
  LINEAR,
  /** Patch convolution weight OIHW {@code [Dv, 3, p, p]} to HWIO {@code [p, p, 3, Dv]}. */
  CONV_OIHW_TO_HWIO,
  /**
   * One {@code nn.Linear} weight {@code [out, in]} per expert to the stacked kernel {@code [E, in, out]}:
   * gate/up {@code [I, D]} each to {@code [E, D, I]}, down {@code [D, I]} each to {@code [E, I, D]}.
   */
  EXPERTS_LINEAR,
  /** One vector {@code [n]} per expert (an expert's bias) to the stacked {@code [E, n]}, values as they are. */
  EXPERTS_STACK;

  /** The project shape of a tensor whose (per-expert) Hugging Face shape is {@code hf}. */
  public long[] projectShape(long[] hf, int numExperts) {
    return switch (this) {
      case AS_IS -> hf.clone();
      case LINEAR -> new long[] {hf[1], hf[0]};
      case CONV_OIHW_TO_HWIO -> new long[] {hf[2], hf[3], hf[1], hf[0]};
      case EXPERTS_LINEAR -> new long[] {numExperts, hf[1], hf[0]};
      case EXPERTS_STACK -> new long[] {numExperts, hf[0]};
    };
  }

  /** Converts Hugging Face tensors (one, or one per expert) to the project's layout. */
  public TensorValue toProject(List<TensorValue> hf) {
    return switch (this) {
      case AS_IS -> copy(single(hf));
      case LINEAR -> transpose2d(single(hf));
      case CONV_OIHW_TO_HWIO -> permute(single(hf), new int[] {2, 3, 1, 0});
      case EXPERTS_LINEAR -> stackTransposed(hf);
      case EXPERTS_STACK -> stack(hf);
    };
  }

  /** Converts a project tensor to Hugging Face tensors (one, or one per expert). */
  public List<TensorValue> toHf(TensorValue project) {
    return switch (this) {
      case AS_IS -> List.of(copy(project));
      case LINEAR -> List.of(transpose2d(project));
      // HWIO [p, p, 3, Dv] -> OIHW [Dv, 3, p, p]: output axis j takes input axis perm[j]
      case CONV_OIHW_TO_HWIO -> List.of(permute(project, new int[] {3, 2, 0, 1}));
      case EXPERTS_LINEAR -> unstackTransposed(project);
      case EXPERTS_STACK -> unstack(project);
    };
  }

  private static TensorValue single(List<TensorValue> list) {
    if (list.size() != 1) throw new IllegalArgumentException("expected one tensor, got " + list.size());
    return list.get(0);
  }

  private static TensorValue copy(TensorValue t) {
    return new TensorValue(t.shape().clone(), t.data().clone());
  }

  /** {@code [a, b]} to {@code [b, a]}. */
  static TensorValue transpose2d(TensorValue t) {
    int rows = (int) t.shape()[0];
    int cols = (int) t.shape()[1];
    float[] out = new float[t.data().length];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        out[c * rows + r] = t.data()[r * cols + c];
      }
    }
    return new TensorValue(new long[] {cols, rows}, out);
  }

  /** A 4-D transpose: output axis {@code j} is input axis {@code perm[j]}. */
  static TensorValue permute(TensorValue t, int[] perm) {
    long[] in = t.shape();
    long[] outShape = new long[4];
    for (int j = 0; j < 4; j++) outShape[j] = in[perm[j]];
    long[] inStride = {in[1] * in[2] * in[3], in[2] * in[3], in[3], 1};
    float[] out = new float[t.data().length];
    int o = 0;
    long[] idx = new long[4]; // index in output order
    for (idx[0] = 0; idx[0] < outShape[0]; idx[0]++) {
      for (idx[1] = 0; idx[1] < outShape[1]; idx[1]++) {
        for (idx[2] = 0; idx[2] < outShape[2]; idx[2]++) {
          for (idx[3] = 0; idx[3] < outShape[3]; idx[3]++) {
            long src = 0;
            for (int j = 0; j < 4; j++) src += idx[j] * inStride[perm[j]];
            out[o++] = t.data()[(int) src];
          }
        }
      }
    }
    return new TensorValue(outShape, out);
  }

  private static TensorValue stackTransposed(List<TensorValue> perExpert) {
    long[] s = perExpert.get(0).shape(); // [out, in]
    int block = (int) (s[0] * s[1]);
    float[] out = new float[block * perExpert.size()];
    for (int e = 0; e < perExpert.size(); e++) {
      System.arraycopy(transpose2d(perExpert.get(e)).data(), 0, out, e * block, block);
    }
    return new TensorValue(new long[] {perExpert.size(), s[1], s[0]}, out); // [E, in, out]
  }

  private static List<TensorValue> unstackTransposed(TensorValue stacked) {
    long[] s = stacked.shape(); // [E, in, out]
    int block = (int) (s[1] * s[2]);
    TensorValue[] out = new TensorValue[(int) s[0]];
    for (int e = 0; e < out.length; e++) {
      float[] slice = new float[block];
      System.arraycopy(stacked.data(), e * block, slice, 0, block);
      out[e] = transpose2d(new TensorValue(new long[] {s[1], s[2]}, slice));
    }
    return List.of(out);
  }

  private static TensorValue stack(List<TensorValue> perExpert) {
    int n = perExpert.get(0).data().length;
    float[] out = new float[n * perExpert.size()];
    for (int e = 0; e < perExpert.size(); e++) System.arraycopy(perExpert.get(e).data(), 0, out, e * n, n);
    return new TensorValue(new long[] {perExpert.size(), n}, out);
  }

  private static List<TensorValue> unstack(TensorValue stacked) {
    long[] s = stacked.shape(); // [E, n]
    int n = (int) s[1];
    TensorValue[] out = new TensorValue[(int) s[0]];
    for (int e = 0; e < out.length; e++) {
      float[] slice = new float[n];
      System.arraycopy(stacked.data(), e * n, slice, 0, n);
      out[e] = new TensorValue(new long[] {n}, slice);
    }
    return List.of(out);
  }
}
