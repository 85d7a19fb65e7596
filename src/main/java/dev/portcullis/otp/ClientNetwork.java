package dev.portcullis.otp;

import dev.portcullis.core.ApiException;
import io.netty.util.NetUtil;
import java.util.HexFormat;

/**
 * What a per-IP limit counts: an IPv4 address, or the /64 network of an IPv6 address (one subscriber usually
 * holds a whole /64, so counting single IPv6 addresses would limit nothing). Parsed without DNS and written in
 * one canonical form, so {@code ::1} and {@code 0:0:0:0:0:0:0:1} are the same client.
 */
public final class ClientNetwork {

  private ClientNetwork() {
  }

  /** The canonical network of {@code ip}, or null when no IP was given. */
  public static String of(String ip) {
    if (ip == null) {
      return null;
    }
    byte[] bytes = NetUtil.createByteArrayFromIpAddressString(ip);
    if (bytes == null) {
      throw ApiException.invalid("client_ip", "must be an IPv4 or IPv6 address");
    }
    if (bytes.length == 16 && isV4Mapped(bytes)) {
      return (bytes[12] & 0xff) + "." + (bytes[13] & 0xff) + "." + (bytes[14] & 0xff) + "." + (bytes[15] & 0xff);
    }
    if (bytes.length == 4) {
      return (bytes[0] & 0xff) + "." + (bytes[1] & 0xff) + "." + (bytes[2] & 0xff) + "." + (bytes[3] & 0xff);
    }
    return HexFormat.of().formatHex(bytes, 0, 8) + "::/64";
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
