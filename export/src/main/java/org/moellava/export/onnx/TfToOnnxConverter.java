package org.moellava.export.onnx;

import java.util.ArrayList;
import java.util.List;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.graph.OnnxGraphContext;
import org.moellava.export.onnx.handlers.ConversionContext;
import org.moellava.export.onnx.handlers.OpHandler;
import org.moellava.export.onnx.handlers.OpHandlerRegistry;
import org.moellava.export.onnx.optimize.DeadNodeEliminator;
import org.moellava.export.onnx.optimize.IdentityEliminator;
import org.moellava.export.onnx.optimize.OnnxOptimizer;
import org.moellava.export.onnx.optimize.RmsNormCanonicalizer;
import org.moellava.export.onnx.optimize.ShapePlumbingFolder;
import org.moellava.export.onnx.optimize.TransposeCanceller;
import org.moellava.export.onnx.proto.GraphProto;
import org.moellava.export.onnx.proto.ModelProto;
import org.moellava.export.onnx.proto.OperatorSetIdProto;
import org.moellava.export.onnx.rewrite.ConstantFolder;
import org.moellava.export.onnx.rewrite.TfRewriter;
import org.moellava.export.onnx.rewrite.VariableFreezer;
import org.moellava.export.onnx.tf.TfGraph;
import org.moellava.export.onnx.tf.TfGraphInfo;
import org.moellava.export.onnx.tf.TfNode;
import org.moellava.export.onnx.tf.TfRef;
import org.moellava.tensor.TensorValue;
import org.tensorflow.proto.GraphDef;

/**
 * Converts a TF inference graph into an ONNX model, in the tf2onnx manner:
 *
 * <ol>
 *   <li>prune to what the outputs need (training ops fall away);
 *   <li>rewrite the TF graph: freeze variables, fold constants, take TF's static types and shapes, then
 *       run pattern rewriters (e.g. a fused MoE block) whose op types TF need not know;
 *   <li>convert node by node with the {@link OpHandlerRegistry} handler for the op type and target opset;
 *   <li>optimise the ONNX graph (cancel transpose pairs, drop identities and dead nodes).
 * </ol>
 *
 * A TF op without a handler, or one a handler cannot express exactly, fails with an
 * {@link UnsupportedOpException} naming the op type, node and graph.
 */
public final class TfToOnnxConverter {
  /** Producer name written into the model. */
  public static final String PRODUCER = "moellava-export";

  private final OpHandlerRegistry registry;
  private final List<TfRewriter> patternRewriters;
  private final List<OnnxOptimizer> optimizers;

  public TfToOnnxConverter(OpHandlerRegistry registry, List<TfRewriter> patternRewriters,
      List<OnnxOptimizer> optimizers) {
    this.registry = registry;
    this.patternRewriters = List.copyOf(patternRewriters);
    this.optimizers = List.copyOf(optimizers);
  }

  /** Built-in handlers, no pattern rewriters, the standard optimisers. */
  public static TfToOnnxConverter standard() {
    return new TfToOnnxConverter(OpHandlerRegistry.defaults(), List.of(), standardOptimizers());
  }

  /** The optimisers {@link #standard()} runs, in order. */
  public static List<OnnxOptimizer> standardOptimizers() {
    return standardOptimizers(true);
  }

  /**
   * The standard optimisers, with or without the passes that cut decode kernels: the {@link ShapePlumbingFolder},
   * the folding of output Identities whose input other nodes read too
   * ({@link IdentityEliminator#IdentityEliminator(boolean)}) and the {@link RmsNormCanonicalizer}; off only to
   * measure what they give ({@code bench profile} exports both ways).
   */
  public static List<OnnxOptimizer> standardOptimizers(boolean foldShapePlumbing) {
    if (!foldShapePlumbing) {
      return List.of(new TransposeCanceller(), new IdentityEliminator(), new DeadNodeEliminator());
    }
    return List.of(new TransposeCanceller(), new IdentityEliminator(true), new DeadNodeEliminator(),
        new ShapePlumbingFolder(), new RmsNormCanonicalizer(), new DeadNodeEliminator());
  }

  /** Converts {@code graphDef} as described by {@code spec}. */
  public ModelProto convert(GraphDef graphDef, ExportSpec spec) {
    return convert(graphDef, spec, null);
  }

  /**
   * Converts {@code graphDef} as described by {@code spec}, streaming each large initializer into {@code spill} as
   * it is made (null: all on the heap); the returned model's large initializers are views of the spill file.
   */
  public ModelProto convert(GraphDef graphDef, ExportSpec spec, org.moellava.export.onnx.io.InitializerSpill spill) {
    List<TfRef> outputs = new ArrayList<>();
    for (ExportSpec.Output o : spec.outputs()) outputs.add(TfRef.parse(o.tfRef()));
    List<TfRef> roots = new ArrayList<>(outputs);
    for (ExportSpec.Input in : spec.inputs()) roots.add(new TfRef(in.tfName(), 0));

    TfGraph graph = prune(TfGraph.of(spec.graphName(), graphDef), roots);
    checkInputs(graph, spec);
    graph = new VariableFreezer(spec.variables()).rewrite(graph);
    graph = prune(new ConstantFolder().rewrite(graph), roots);
    TfGraphInfo info = TfGraphInfo.infer(graph);
    // Pattern rewriters run last: their op types need not exist in TF, which never sees the result.
    for (TfRewriter r : patternRewriters) graph = prune(r.rewrite(graph), roots);

    OnnxGraphContext onnx = new OnnxGraphContext(spec.graphName(), spill);
    ConversionContext ctx = new ConversionContext(onnx, graph, info, spec.opset());
    declareInputs(spec, ctx, info);
    for (ExportSpec.Output o : spec.outputs()) onnx.reserveName(o.onnxName()); // before any generated name
    for (TfNode node : graph.topologicalOrder(roots)) {
      if (isBoundInput(spec, node)) continue;
      List<String> names = node.op().equals("Placeholder") ? List.of(variable(spec, ctx, node))
          : handlerFor(node, spec).converter().convert(node, ctx);
      int known = info.numOutputs(node.name());
      int count = known > 0 ? known : names.size(); // nodes made by pattern rewriters are unknown to TF
      if (names.size() < count) {
        throw ctx.fail(node, "handler produced " + names.size() + " of " + count + " outputs");
      }
      for (int i = 0; i < count; i++) ctx.bind(new TfRef(node.name(), i), names.get(i));
    }
    declareOutputs(spec, ctx, outputs);

    GraphProto g = onnx.build();
    for (OnnxOptimizer o : optimizers) g = o.optimize(g);
    return ModelProto.newBuilder().setIrVersion(irVersion(spec.opset())).setProducerName(PRODUCER)
        .setProducerVersion("0.1.0")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(spec.opset()))
        .setGraph(g).build();
  }

  /** The ONNX IR version that goes with {@code opset} (IR 8 up to opset 18, IR 9 for 19 and 20). */
  public static long irVersion(int opset) {
    return opset <= 18 ? 8 : 9;
  }

  private static TfGraph prune(TfGraph graph, List<TfRef> roots) {
    return graph.withNodes(graph.topologicalOrder(roots).stream().map(TfNode::def).toList());
  }

  private static void checkInputs(TfGraph graph, ExportSpec spec) {
    for (ExportSpec.Input in : spec.inputs()) {
      TfNode n = graph.node(in.tfName());
      if (!n.op().equals("Placeholder")) {
        throw new InvalidInputException("graph " + spec.graphName() + ": input '" + in.tfName()
            + "' is a " + n.op() + ", not a Placeholder");
      }
    }
  }

  private static boolean isBoundInput(ExportSpec spec, TfNode node) {
    return spec.inputs().stream().anyMatch(i -> i.tfName().equals(node.name()));
  }

  private OpHandler handlerFor(TfNode node, ExportSpec spec) {
    return registry.lookup(node.op(), spec.opset()).orElseThrow(() -> new UnsupportedOpException(
        spec.graphName(), node.op(), node.name(), "no ONNX handler for this op at opset " + spec.opset()));
  }

  private static void declareInputs(ExportSpec spec, ConversionContext ctx, TfGraphInfo info) {
    for (ExportSpec.Input in : spec.inputs()) {
      TfRef ref = new TfRef(in.tfName(), 0);
      long[] tfDims = info.get(ref).dims();
      List<Object> dims = new ArrayList<>();
      if (in.dims() != null) {
        if (tfDims != null && tfDims.length != in.dims().size()) {
          throw new InvalidInputException("graph " + spec.graphName() + ": input '" + in.tfName() + "' has rank "
              + tfDims.length + " in TF but " + in.dims().size() + " dims were given");
        }
        in.dims().forEach(d -> dims.add(d.asShapeEntry()));
      } else if (tfDims != null) {
        for (int i = 0; i < tfDims.length; i++) {
          dims.add(tfDims[i] >= 0 ? (Object) tfDims[i] : in.onnxName() + "_dim" + i);
        }
      }
      String name = ctx.onnx().reserveName(in.onnxName());
      ctx.onnx().addInput(name, ctx.elemType(ref), in.dims() == null && tfDims == null ? null : dims);
      ctx.bind(ref, name);
    }
  }

  private static String variable(ExportSpec spec, ConversionContext ctx, TfNode node) {
    TensorValue value = spec.variables().get(node.name());
    if (value == null) {
      throw new UnsupportedOpException(spec.graphName(), node.op(), node.name(),
          "placeholder is neither an exported input nor a variable with a value");
    }
    return ctx.onnx().floatInitializer(node.name(), value.shape(), value.data());
  }

  private static void declareOutputs(ExportSpec spec, ConversionContext ctx, List<TfRef> refs) {
    for (int i = 0; i < refs.size(); i++) {
      ExportSpec.Output out = spec.outputs().get(i);
      TfRef ref = refs.get(i);
      String name = out.onnxName();
      ctx.onnx().node("Identity").input(ctx.name(ref)).outputsExactly(name);
      List<Object> dims = null;
      long[] tfDims = ctx.tfInfo(ref).dims();
      if (out.dims() != null) {
        dims = new ArrayList<>();
        for (Dim d : out.dims()) dims.add(d.asShapeEntry());
      } else if (tfDims != null) {
        dims = new ArrayList<>();
        for (long d : tfDims) dims.add(d >= 0 ? (Object) d : null);
      }
      ctx.onnx().addOutput(name, ctx.elemType(ref), dims);
    }
  }

}
