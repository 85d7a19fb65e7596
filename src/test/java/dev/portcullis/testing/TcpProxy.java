package dev.portcullis.testing;

import dev.portcullis.core.PgUrl;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP forwarder between a gateway and Postgres that a test can cut (every connection dropped, new ones
 * refused) and restore on the same port: Postgres becoming unreachable, without stopping the shared server.
 * Plain threads: it runs beside the gateway, never on an event loop.
 */
public final class TcpProxy implements AutoCloseable {

  private final String targetHost;
  private final int targetPort;
  private final int port;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile ServerSocket server;

  private TcpProxy(String targetHost, int targetPort, int port) {
    this.targetHost = targetHost;
    this.targetPort = targetPort;
    this.port = port;
  }

  public static TcpProxy start(String targetHost, int targetPort, int port) throws IOException {
    TcpProxy proxy = new TcpProxy(targetHost, targetPort, port);
    proxy.restore();
    return proxy;
  }

  /** The URL of {@code database} reached through this proxy (started towards that database's host and port). */
  public String pgUrl(PgUrl database) {
    return new PgUrl("127.0.0.1", port, database.database(), database.user(), database.password()).toUrl();
  }

  public int port() {
    return port;
  }

  /** Listens again: new connections reach Postgres. */
  public synchronized void restore() throws IOException {
    ServerSocket listening = new ServerSocket();
    listening.setReuseAddress(true);
    listening.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
    server = listening;
    Thread acceptor = new Thread(() -> accept(listening), "tcp-proxy-accept");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** Drops every open connection and refuses new ones. */
  public synchronized void cut() throws IOException {
    server.close();
    for (Socket socket : sockets) {
      socket.close();
    }
    sockets.clear();
  }

  @Override
  public void close() throws IOException {
    cut();
  }

  private void accept(ServerSocket listening) {
    while (!listening.isClosed()) {
      try {
        Socket client = listening.accept();
        Socket upstream = new Socket(targetHost, targetPort);
        if (!register(listening, client, upstream)) {
          return;
        }
        pump(client, upstream);
        pump(upstream, client);
      } catch (IOException e) {
        return; // closed by cut()
      }
    }
  }

  /** Keeps a connection accepted just before a cut from outliving it: registered and checked under the lock. */
  private synchronized boolean register(ServerSocket listening, Socket client, Socket upstream) {
    if (listening.isClosed()) {
      closeQuietly(client);
      closeQuietly(upstream);
      return false;
    }
    sockets.add(client);
    sockets.add(upstream);
    return true;
  }

  private static void pump(Socket from, Socket to) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int read;
        while ((read = in.read(buffer)) >= 0) {
          out.write(buffer, 0, read);
          out.flush();
        }
      } catch (IOException e) {
        // one side closed: close the other below
      } finally {
        closeQuietly(from);
        closeQuietly(to);
      }
    }, "tcp-proxy-pump");
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }
}
