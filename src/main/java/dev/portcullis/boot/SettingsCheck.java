package dev.portcullis.boot;

import dev.portcullis.audit.AuditVerticle;
import dev.portcullis.conversation.ConversationApi;
import dev.portcullis.core.GatewayConfig;
import dev.portcullis.http.TrustedProxies;
import dev.portcullis.license.LicenseSettings;
import dev.portcullis.otp.OtpSender;
import dev.portcullis.owner.OwnerSignupPolicy;
import dev.portcullis.password.HashingSettings;

/**
 * Reads, before anything starts, the settings the capability packages own (GatewayConfig checks its own): a bad
 * value stops the start with one message naming the key, before the schema migrates and before any verticle logs
 * its own failure. Read first by the verticles, a bad password-hashing or licence setting stopped the start only
 * once every migration had run, followed by the other verticles' complaints.
 */
final class SettingsCheck {

  private SettingsCheck() {
  }

  static void verify(GatewayConfig config) {
    TrustedProxies.parse(GatewayConfig.TRUSTED_PROXIES, config.optional(GatewayConfig.TRUSTED_PROXIES));
    HashingSettings.from(config);
    LicenseSettings.from(config);
    OtpSender.Limits.from(config);
    OwnerSignupPolicy.from(config);
    AuditVerticle.checkSettings(config);
    ConversationApi.creationsPerHour(config);
  }
}
