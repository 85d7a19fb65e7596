package dev.portcullis.boot;

import dev.portcullis.audit.AuditVerticle;
import dev.portcullis.conversation.ConversationApi;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.http.TrustedProxies;
import dev.portcullis.license.LicenseSettings;
import dev.portcullis.otp.OtpSender;
import dev.portcullis.owner.OwnerSignupPolicy;
import dev.portcullis.password.HashingSettings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads, before anything starts, the settings the capability packages own (GatewayConfig checks its own): a bad
 * value stops the start with one message naming the key, before the schema migrates and before any verticle logs
 * its own failure. Read first by the verticles, a bad password-hashing or licence setting stopped the start only
 * once every migration had run, followed by the other verticles' complaints.
 */
final class SettingsCheck {

  private static final Logger LOG = LoggerFactory.getLogger(SettingsCheck.class);

  private SettingsCheck() {
  }

  static void verify(GatewayConfig config) {
    warnAboutProxies(config.optional(GatewayConfig.TRUSTED_PROXIES));
    HashingSettings.from(config);
    LicenseSettings.from(config);
    OtpSender.Limits.from(config);
    OwnerSignupPolicy.from(config);
    AuditVerticle.checkSettings(config);
    ConversationApi.creationsPerHour(config);
  }

  /** Parses {@code PORTCULLIS_TRUSTED_PROXIES} (a bad CIDR stops the start) and warns about public ranges in it. */
  static void warnAboutProxies(String list) {
    for (String cidr : TrustedProxies.parse(GatewayConfig.TRUSTED_PROXIES, list).beyondPrivateNetworks()) {
      LOG.warn("{} includes {}, beyond private networks: a caller from there chooses, through X-Forwarded-For, the "
          + "address every per-IP limit counts; name only the load balancers in front of the gateway",
          GatewayConfig.TRUSTED_PROXIES, cidr);
    }
  }
}
