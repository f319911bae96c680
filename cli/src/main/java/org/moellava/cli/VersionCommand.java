package org.moellava.cli;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtProvider;
import java.io.PrintWriter;
import java.util.stream.Collectors;
import org.moellava.runtime.TensorRtProbe;
import org.tensorflow.TensorFlow;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code moellava version}: versions of the project and its native runtimes, and what can load here. */
@Command(name = "version", description = "Print the versions of moellava, TensorFlow, ONNX Runtime and TensorRT.")
public final class VersionCommand implements Runnable {
  @Spec CommandSpec spec;

  @Override
  public void run() {
    PrintWriter out = spec.commandLine().getOut();
    out.println("moellava     " + ProjectVersion.get());
    out.println("java         " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
    out.println("tensorflow   " + TensorFlow.version());
    org.moellava.runtime.ort.OrtNatives.configure();
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    String providers = OrtEnvironment.getAvailableProviders().stream()
        .map(OrtProvider::getName).sorted().collect(Collectors.joining(", "));
    out.println("onnxruntime  " + env.getVersion() + " (providers: " + providers + ")");
    TensorRtProbe.Availability trt = TensorRtProbe.availability();
    out.println("tensorrt     " + (trt.available() ? "available: " + trt.reason() : "unavailable: " + trt.reason()));
  }
}
