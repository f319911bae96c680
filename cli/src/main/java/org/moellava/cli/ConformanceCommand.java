package org.moellava.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.moellava.conformance.CaseGenerator;
import org.moellava.conformance.ConformanceCase;
import org.moellava.conformance.ConformanceReport;
import org.moellava.conformance.ConformanceSuite;
import org.moellava.error.BackendUnavailableException;
import org.moellava.error.InvalidInputException;
import org.moellava.image.ImagePreprocessor;
import org.moellava.pkg.PackageManifest;
import org.moellava.pkg.PackageManifestIO;
import org.moellava.runtime.Backend;
import org.moellava.runtime.Device;
import org.moellava.runtime.conformance.Tolerance;
import org.moellava.runtime.ort.OrtBackend;
import org.moellava.runtime.ort.OrtOptions;
import org.moellava.runtime.tf.TfBackend;
import org.moellava.runtime.trt.TrtBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code moellava conformance}: runs the fixed cases on TensorFlow (the reference, from the checkpoint) and on each
 * requested backend of the package, and compares features, logits, router logits, expert choices and greedy
 * tokens. Exit code 1 on any failure; a backend that cannot run here is listed as skipped with its reason.
 */
@Command(name = "conformance", description = "Check that router decisions and outputs match across backends "
    + "(TensorFlow reference vs ONNX Runtime / TensorRT).")
public final class ConformanceCommand implements Callable<Integer> {
  /** Backend names accepted by {@code --backends}. */
  static final List<String> BACKENDS = List.of("tf", "ort-cpu", "ort-fused", "ort-cuda", "trt");

  @Spec CommandSpec spec;

  @Option(names = "--checkpoint", required = true, description = "The checkpoint (TensorFlow reference).")
  Path checkpoint;

  @Option(names = "--package", required = true, description = "The model package (moellava export).")
  Path packageDir;

  @Option(names = "--fused-package", description = "A package exported with --moe ort-fused, for the ort-fused backend.")
  Path fusedPackage;

  @Option(names = "--backends", defaultValue = "tf,ort-cpu,ort-fused,ort-cuda,trt", split = ",",
      description = "Backends to compare with TensorFlow: ${DEFAULT-VALUE} (tf is the reference).")
  List<String> backends;

  @Option(names = "--decode-steps", defaultValue = "6", description = "Tokens decoded after each prefill (default ${DEFAULT-VALUE}).")
  int decodeSteps;

  @Option(names = "--seed", defaultValue = "1234", description = "Seed of the cases (default ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--report", description = "Write the JSON report here.")
  Path report;

  @Override
  public Integer call() {
    Set<String> chosen = new LinkedHashSet<>(backends);
    for (String b : chosen) {
      if (!BACKENDS.contains(b)) {
        throw new InvalidInputException("--backends: unknown backend '" + b + "' (known: " + String.join(", ", BACKENDS) + ")");
      }
    }
    if (decodeSteps < 1) throw new InvalidInputException("--decode-steps must be at least 1, got " + decodeSteps);
    PackageManifest manifest = PackageManifestIO.read(packageDir);
    ConformanceReport result = run(checkpoint, packageDir, fusedPackage, chosen, manifest, decodeSteps, seed);
    spec.commandLine().getOut().print(result.table());
    spec.commandLine().getOut().flush();
    if (report != null) result.write(report);
    return result.exitCode();
  }

  /** Runs the suite; used by {@code demo} too. */
  static ConformanceReport run(Path checkpoint, Path packageDir, Path fusedPackage, Set<String> chosen,
      PackageManifest manifest, int decodeSteps, long seed) {
    List<ConformanceSuite.Candidate> candidates = new ArrayList<>();
    for (String name : chosen) {
      Supplier<Backend> open = switch (name) {
        case "ort-cpu" -> () -> OrtBackend.open(packageDir, OrtOptions.cpu());
        case "ort-fused" -> () -> {
          if (fusedPackage == null) {
            throw new BackendUnavailableException("no --fused-package given (export one with --moe ort-fused)");
          }
          return OrtBackend.open(fusedPackage, OrtOptions.cpu());
        };
        case "ort-cuda" -> () -> OrtBackend.open(packageDir, new OrtOptions(Device.CUDA, false, 0, 0));
        case "trt" -> () -> TrtBackend.open(packageDir);
        default -> null;
      };
      if (open != null) candidates.add(new ConformanceSuite.Candidate(name, open));
    }
    try (TfBackend reference = TfBackend.fromCheckpoint(checkpoint)) {
      List<ConformanceCase> cases = new CaseGenerator(reference.info(),
          ImagePreprocessor.fromConfig(manifest.config()), seed).standard(decodeSteps);
      return ConformanceSuite.run("tf", reference, candidates, cases, Tolerance.forPrecision(manifest.precision()));
    }
  }
}
