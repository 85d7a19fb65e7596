package dev.portcullis.otp;

import dev.portcullis.core.MasterKey;
import dev.portcullis.core.Secrets;
import java.util.HexFormat;
import java.util.UUID;

/**
 * Codes and the keyed hashes the OTP state is stored under. Redis never sees a code or an IP: codes are stored as
 * an HMAC bound to their request, and identities and IPs appear in keys only as HMACs. A request's hash holds the
 * email or phone it was sent to (a verification signs that identity in) for the code's lifetime.
 */
public final class OtpCodes {

  private static final HexFormat HEX = HexFormat.of();

  private final byte[] codeKey;
  private final byte[] nameKey;

  public OtpCodes(MasterKey masterKey) {
    this.codeKey = masterKey.otpKey();
    // A sub-key, so a hashed identity can never be mistaken for (or help forge) a code MAC.
    this.nameKey = Secrets.hmacSha256(masterKey.otpKey(), "portcullis/otp-names");
  }

  /** {@code length} decimal digits, uniformly from the CSPRNG. */
  public static String generate(int length) {
    StringBuilder code = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      code.append((char) ('0' + Secrets.random().nextInt(10)));
    }
    return code.toString();
  }

  /** The stored form of a code: bound to its app and request, so a MAC is worthless anywhere else. */
  public String mac(UUID appId, String requestId, String code) {
    return HEX.formatHex(Secrets.hmacSha256(codeKey, "code|" + appId + "|" + requestId + "|" + code));
  }

  /** The name of an identity inside Redis keys. */
  public String identityName(UUID appId, Identity identity) {
    return name("identity|" + appId + "|" + identity.qualified());
  }

  /** The name of an identity's mailbox ({@link Identity#mailbox}) inside Redis keys. */
  public String mailboxName(UUID appId, Identity identity) {
    return name("mailbox|" + appId + "|" + identity.mailbox());
  }

  /** The name of a client IP (or IPv6 /64 network, see {@link ClientNetwork}) inside Redis keys. */
  public String networkName(UUID appId, String network) {
    return name("ip|" + appId + "|" + network);
  }

  /** {@link #networkName} of the client network of {@code clientIp}, or null when no IP was given. */
  public String networkNameOf(UUID appId, String clientIp) {
    String network = ClientNetwork.of(clientIp);
    return network == null ? null : networkName(appId, network);
  }

  private String name(String input) {
    // 128 bits are plenty to keep names apart and keep keys short.
    return HEX.formatHex(Secrets.hmacSha256(nameKey, input), 0, 16);
  }
}
