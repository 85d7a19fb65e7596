package dev.portcullis.http;

import io.netty.util.NetUtil;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code PORTCULLIS_TRUSTED_PROXIES}: the CIDRs of the load balancers in front of the gateway. Only when the TCP
 * peer is inside them is {@code X-Forwarded-For} read, and the caller is its right-most address that is not
 * inside them (the left part of the header is whatever the client chose to send); otherwise the TCP peer is the
 * caller. Runs first on every request and puts the caller's address where {@link Requests#callerIp} reads it,
 * so owner routes, audit events and every per-IP limit see the same address.
 */
public final class TrustedProxies implements Handler<RoutingContext> {

  static final String KEY = "caller_ip";

  private record Cidr(String text, byte[] network, int prefix) {

    /** Whether every address of {@code other} is in this one. */
    boolean covers(Cidr other) {
      return other.prefix >= prefix && contains(other.network);
    }

    boolean contains(byte[] address) {
      if (address.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (address[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xff << (8 - rest)) & 0xff;
      return (address[full] & mask) == (network[full] & mask);
    }
  }

  /**
   * Where a load balancer in front of a pod or a host usually has its address: the private IPv4 ranges, the
   * carrier-grade NAT range some clusters give pods, loopback, link-local, IPv6 unique-local and loopback.
   */
  private static final List<Cidr> PRIVATE = parse("private networks", "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, "
      + "100.64.0.0/10, 127.0.0.0/8, 169.254.0.0/16, fc00::/7, fe80::/10, ::1").cidrs;

  private final List<Cidr> cidrs;

  private TrustedProxies(List<Cidr> cidrs) {
    this.cidrs = cidrs;
  }

  /** Parses a comma-separated list of CIDRs (a bare address is a /32 or /128); throws naming {@code key}. */
  public static TrustedProxies parse(String key, String list) {
    List<Cidr> cidrs = new ArrayList<>();
    if (list != null) {
      for (String entry : list.split(",")) {
        String text = entry.trim();
        if (text.isEmpty()) {
          continue;
        }
        int slash = text.indexOf('/');
        byte[] network = NetUtil.createByteArrayFromIpAddressString(slash < 0 ? text : text.substring(0, slash));
        if (network == null) {
          throw new IllegalArgumentException(key + ": '" + text + "' is not a CIDR");
        }
        int prefix;
        try {
          prefix = slash < 0 ? network.length * 8 : Integer.parseInt(text.substring(slash + 1));
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(key + ": '" + text + "' is not a CIDR");
        }
        if (prefix < 0 || prefix > network.length * 8) {
          throw new IllegalArgumentException(key + ": '" + text + "' has a prefix out of range");
        }
        cidrs.add(new Cidr(text, network, prefix));
      }
    }
    return new TrustedProxies(List.copyOf(cidrs));
  }

  /**
   * The CIDRs, as written, that reach beyond private networks ({@code 0.0.0.0/0}, a public range): any caller in
   * them chooses through {@code X-Forwarded-For} the address its per-IP limits count, so the start warns about each.
   */
  public List<String> beyondPrivateNetworks() {
    return cidrs.stream()
        .filter(cidr -> PRIVATE.stream().noneMatch(network -> network.covers(cidr)))
        .map(Cidr::text)
        .toList();
  }

  @Override
  public void handle(RoutingContext ctx) {
    var peer = ctx.request().remoteAddress();
    String peerIp = peer == null ? null : peer.hostAddress();
    String caller = caller(peerIp, ctx.request().headers().getAll("X-Forwarded-For"));
    String canonical = SourceNetwork.canonical(caller);
    ctx.put(KEY, canonical == null ? caller : canonical);
    ctx.next();
  }

  /** The caller behind {@code peerIp}, given the X-Forwarded-For header lines in the order received. */
  String caller(String peerIp, List<String> forwardedFor) {
    if (peerIp == null || !trusted(peerIp) || forwardedFor.isEmpty()) {
      return peerIp;
    }
    List<String> hops = new ArrayList<>();
    for (String line : forwardedFor) {
      for (String hop : line.split(",", -1)) {
        hops.add(withoutPort(hop.trim()));
      }
    }
    for (int i = hops.size() - 1; i >= 0; i--) {
      String hop = hops.get(i);
      if (NetUtil.createByteArrayFromIpAddressString(hop) == null) {
        // Garbage where an address should be: the hop that wrote it is not to be believed beyond this point.
        return i == hops.size() - 1 ? peerIp : hops.get(i + 1);
      }
      if (!trusted(hop)) {
        return hop;
      }
    }
    return hops.get(0);
  }

  /**
   * The address of a hop some proxies write with the port they saw ({@code 203.0.113.9:5555}, {@code
   * [2001:db8::5]:443}, also {@code [2001:db8::5]}); any other hop as it is. Read as garbage, a port put every
   * caller behind such a proxy in the proxy's own bucket of every per-IP limit (h101).
   */
  private static String withoutPort(String hop) {
    if (hop.startsWith("[")) {
      int close = hop.indexOf(']');
      return close > 0 && (close == hop.length() - 1 || isPort(hop.substring(close + 1)))
          ? hop.substring(1, close) : hop;
    }
    int colon = hop.indexOf(':');
    return colon > 0 && colon == hop.lastIndexOf(':') && isPort(hop.substring(colon)) ? hop.substring(0, colon) : hop;
  }

  /** {@code :} and one to five digits. */
  private static boolean isPort(String text) {
    return text.length() >= 2 && text.length() <= 6 && text.charAt(0) == ':'
        && text.substring(1).chars().allMatch(c -> c >= '0' && c <= '9');
  }

  private boolean trusted(String ip) {
    byte[] address = NetUtil.createByteArrayFromIpAddressString(ip);
    if (address == null) {
      return false;
    }
    if (address.length == 16 && isV4Mapped(address)) {
      address = new byte[] {address[12], address[13], address[14], address[15]};
    }
    for (Cidr cidr : cidrs) {
      if (cidr.contains(address)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isV4Mapped(byte[] bytes) {
    for (int i = 0; i < 10; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return bytes[10] == (byte) 0xff && bytes[11] == (byte) 0xff;
  }
}
