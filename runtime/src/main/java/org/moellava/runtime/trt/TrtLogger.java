package org.moellava.runtime.trt;

import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** TensorRT's logger: warnings and errors go to SLF4J, the rest is dropped. */
final class TrtLogger extends ILogger {
  private static final Logger LOG = LoggerFactory.getLogger("tensorrt");

  @Override
  public void log(Severity severity, String msg) {
    switch (severity) {
      case kINTERNAL_ERROR, kERROR -> LOG.error(msg);
      case kWARNING -> LOG.warn(msg);
      default -> LOG.debug(msg);
    }
  }
}
