package dev.portcullis.http;

import io.netty.util.NetUtil;
import java.util.HexFormat;

/**
 * The source network of a caller's address, as failure summaries group it: an IPv4 address's /24, an IPv6
 * address's /64 (an IPv4-mapped IPv6 address counts as its IPv4 address, and so does one of NAT64's well-known
 * prefix {@code 64:ff9b::/96}, RFC 6052: behind a translator every IPv4 client would otherwise share one /64, and one
 * stranger's failures refuse them all). Parsed without DNS and written in one
 * canonical form ({@code 203.0.113.0/24}, {@code 20010db8000000aa::/64}).
 */
public final class SourceNetwork {

  private SourceNetwork() {
  }

  /** The /24 or /64 of {@code ip}, or {@code "unknown"} when there is none or it is no address. */
  public static String of(String ip) {
    byte[] bytes = bytes(ip);
    if (bytes == null) {
      return "unknown";
    }
    if (bytes.length == 4) {
      return (bytes[0] & 0xff) + "." + (bytes[1] & 0xff) + "." + (bytes[2] & 0xff) + ".0/24";
    }
    return HexFormat.of().formatHex(bytes, 0, 8) + "::/64";
  }

  /**
   * What a per-IP limit counts: the IPv4 address itself, or the /64 of an IPv6 address (one subscriber usually
   * holds a whole /64); {@code "unknown"} when there is none.
   */
  public static String limitKey(String ip) {
    byte[] bytes = bytes(ip);
    if (bytes == null) {
      return "unknown";
    }
    if (bytes.length == 4) {
      return (bytes[0] & 0xff) + "." + (bytes[1] & 0xff) + "." + (bytes[2] & 0xff) + "." + (bytes[3] & 0xff);
    }
    return HexFormat.of().formatHex(bytes, 0, 8) + "::/64";
  }

  /**
   * The /48 of an IPv6 address (a site: one customer's allocation, which holds 65,536 /64s), or null for an IPv4
   * address or none. What a limit counts besides {@link #limitKey} where a stranger could spend the gateway's
   * capacity one /64 after another: IPv4 addresses are scarce enough to be counted one by one.
   */
  public static String site(String ip) {
    byte[] bytes = bytes(ip);
    return bytes == null || bytes.length == 4 ? null : HexFormat.of().formatHex(bytes, 0, 6) + "::/48";
  }

  /**
   * The address in one canonical form (an IPv4-mapped address as its IPv4 address, octets without leading zeros,
   * IPv6 as RFC 5952 writes it), or null when {@code ip} is no address: what the audit log and sessions keep.
   */
  public static String canonical(String ip) {
    byte[] bytes = bytes(ip);
    return bytes == null ? null : NetUtil.bytesToIpAddress(bytes);
  }

  private static byte[] bytes(String ip) {
    byte[] bytes = ip == null ? null : NetUtil.createByteArrayFromIpAddressString(ip);
    if (bytes != null && bytes.length == 16 && (isV4Mapped(bytes) || isV4Compatible(bytes) || isNat64(bytes))) {
      return new byte[] {bytes[12], bytes[13], bytes[14], bytes[15]};
    }
    return bytes;
  }

  /** ::a.b.c.d (RFC 4291's deprecated form), however it is written; not :: nor ::1 and their like. */
  private static boolean isV4Compatible(byte[] bytes) {
    for (int i = 0; i < 12; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return bytes[12] != 0 || bytes[13] != 0;
  }

  /** 64:ff9b::a.b.c.d, the well-known prefix of IPv4/IPv6 translation (RFC 6052 §2.1). */
  private static boolean isNat64(byte[] bytes) {
    if (bytes[0] != 0 || bytes[1] != 0x64 || bytes[2] != (byte) 0xff || bytes[3] != (byte) 0x9b) {
      return false;
    }
    for (int i = 4; i < 12; i++) {
      if (bytes[i] != 0) {
        return false;
      }
    }
    return true;
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
