package dev.portcullis.password;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Lowers the scheduling priority of the calling thread alone: on Linux a nice value belongs to a thread, and
 * {@code setpriority(PRIO_PROCESS, tid, n)} sets it for that thread (raising one's own nice needs no privilege).
 * The hashing threads run this way so that, when the cores are all busy, the event loops (token checks, every
 * other request) are scheduled ahead of password hashes; when the cores are idle the hashes take them all.
 * Elsewhere than Linux it does nothing.
 */
final class ThreadNice {

  private static final Logger LOG = LoggerFactory.getLogger(ThreadNice.class);
  private static final int PRIO_PROCESS = 0;
  private static final ThreadLocal<Boolean> APPLIED = new ThreadLocal<>();

  private interface LibC extends Library {
    int setpriority(int which, int who, int prio);

    int gettid();
  }

  private ThreadNice() {
  }

  /** Sets this thread's nice value once (0: leaves it alone); a failure is logged once per thread, never thrown. */
  static void apply(int nice) {
    if (nice == 0 || APPLIED.get() != null) {
      return;
    }
    APPLIED.set(Boolean.TRUE);
    if (!Platform.isLinux()) {
      return;
    }
    try {
      LibC libc = Holder.LIBC;
      if (libc.setpriority(PRIO_PROCESS, libc.gettid(), nice) != 0) {
        LOG.warn("could not lower the priority of hashing thread {}: errno {}", Thread.currentThread().getName(),
            Native.getLastError());
      }
    } catch (LinkageError | RuntimeException unavailable) {
      LOG.warn("could not lower the priority of hashing thread {}: {}", Thread.currentThread().getName(),
          unavailable.toString());
    }
  }

  private static final class Holder {
    static final LibC LIBC = Native.load("c", LibC.class);
  }
}
