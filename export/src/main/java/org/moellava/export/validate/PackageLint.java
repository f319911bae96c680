package org.moellava.export.validate;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.moellava.error.InvalidInputException;
import org.moellava.export.onnx.io.OnnxModelReader;
import org.moellava.export.onnx.lint.LintViolation;
import org.moellava.export.onnx.lint.TensorRtLint;
import org.moellava.export.spec.PackageGraphs;

/** {@link TensorRtLint} over every {@code .onnx} file of a package directory. */
public final class PackageLint {
  private PackageLint() {}

  /** File name to its violations (empty when TensorRT's parser should accept it), sorted by file. */
  public static Map<String, List<LintViolation>> check(Path packageDir) {
    if (!Files.isDirectory(packageDir)) {
      throw new InvalidInputException(packageDir + ": package directory not found");
    }
    List<Path> files = PackageGraphs.onnxFiles(packageDir);
    if (files.isEmpty()) throw new InvalidInputException(packageDir + ": no .onnx files; is it a model package?");
    Map<String, List<LintViolation>> out = new LinkedHashMap<>();
    for (Path f : files) out.put(f.getFileName().toString(), TensorRtLint.check(OnnxModelReader.read(f)));
    return out;
  }
}
