// SPDX-License-Identifier: Apache-2.0
package io.jwalreceiver.cli;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Turns SIGINT and SIGTERM into a graceful stop, so a daemon can flush, send its last status update
 * and exit 0 as pg_receivewal does. A JVM shutdown hook cannot do that (the exit status of a
 * signalled JVM is 128 + the signal), so this installs handlers through {@code sun.misc.Signal}
 * from the {@code jdk.unsupported} module, by reflection to keep the build free of internal-API
 * warnings. Where that API is missing, the default behaviour stays.
 */
final class Interrupts {

  private Interrupts() {}

  /**
   * Runs {@code onSignal} (once per signal, on a JVM signal thread) for SIGINT and SIGTERM.
   *
   * @return true when the handlers were installed
   */
  static boolean onStop(Runnable onSignal) {
    try {
      Class<?> signalClass = Class.forName("sun.misc.Signal");
      Class<?> handlerClass = Class.forName("sun.misc.SignalHandler");
      InvocationHandler ih =
          (Object proxy, Method method, Object[] args) -> {
            if (method.getName().equals("handle")) {
              onSignal.run();
              return null;
            }
            if (method.getName().equals("toString")) {
              return "jwalreceiver stop handler";
            }
            if (method.getName().equals("hashCode")) {
              return System.identityHashCode(proxy);
            }
            if (method.getName().equals("equals")) {
              return proxy == args[0];
            }
            return null;
          };
      Object handler =
          Proxy.newProxyInstance(
              Interrupts.class.getClassLoader(), new Class<?>[] {handlerClass}, ih);
      Method handle = signalClass.getMethod("handle", signalClass, handlerClass);
      boolean any = false;
      for (String name : new String[] {"INT", "TERM"}) {
        // Each on its own: a signal the parent set to "ignore" (SIGINT for a background job
        // of a non-interactive shell) cannot be handled, and must not stop the other.
        try {
          Object signal = signalClass.getConstructor(String.class).newInstance(name);
          handle.invoke(null, signal, handler);
          any = true;
        } catch (ReflectiveOperationException | RuntimeException e) {
          // this JVM cannot handle that signal; the others may still be handled
        }
      }
      return any;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return false;
    }
  }
}
