package org.tensorflow;

import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetConfig;
import static org.tensorflow.internal.c_api.global.tensorflow.TF_SetTarget;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.PointerScope;
import org.tensorflow.internal.c_api.TF_Session;
import org.tensorflow.internal.c_api.TF_SessionOptions;
import org.tensorflow.internal.c_api.TF_Status;
import org.tensorflow.proto.ConfigProto;

/**
 * Opens a {@link Session} on a session target ({@code grpc://host:port} of a {@link Server}): TF Java 1.1.0 has
 * the C API's {@code TF_SetTarget} but no public constructor that uses it (its {@code Session.allocate} ignores the
 * target), so this class lives in {@code org.tensorflow} to reach the package-private {@code Session(Graph,
 * TF_Session)} constructor. It works on the class path (the project's launchers); on the module path the split
 * package would be refused.
 */
public final class TargetedSession {
  private TargetedSession() {}

  /**
   * A session of {@code graph} run by the runtime at {@code target} with {@code config}.
   *
   * @param target e.g. {@code grpc://127.0.0.1:23451}, the target of a started {@link Server}
   */
  public static Session open(Graph graph, String target, ConfigProto config) {
    try (PointerScope scope = new PointerScope(); Graph.Reference ref = graph.ref()) {
      TF_Status status = TF_Status.newStatus();
      TF_SessionOptions options = TF_SessionOptions.newSessionOptions();
      TF_SetTarget(options, target);
      BytePointer bytes = new BytePointer(config.toByteArray());
      TF_SetConfig(options, bytes, bytes.capacity(), status);
      status.throwExceptionIfNotOK();
      TF_Session session = TF_Session.newSession(ref.nativeHandle(), options, status);
      status.throwExceptionIfNotOK();
      session.retainReference();
      return new Session(graph, session);
    }
  }
}
