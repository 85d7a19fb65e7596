package dev.portcullis.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

@DisplayName("Source networks: what per-IP limits and failure summaries count")
class SourceNetworkTest {

  @Test
  @DisplayName("an IPv4 client behind NAT64's well-known prefix counts as its IPv4 address, not as the translator's "
      + "/64 (h91: one stranger's failures refused every client of the translator)")
  void nat64WellKnownPrefix() {
    assertEquals("198.51.100.1", SourceNetwork.limitKey("64:ff9b::c633:6401"));
    assertEquals("203.0.113.0/24", SourceNetwork.of("64:ff9b::cb00:7107"));
    assertEquals("203.0.113.7", SourceNetwork.canonical("64:ff9b::cb00:7107"));
  }

  @Test
  @DisplayName("other IPv6 addresses count by their /64; IPv4-mapped ones as their IPv4 address")
  void otherAddresses() {
    assertEquals("0064ff9b00010000::/64", SourceNetwork.limitKey("64:ff9b:1::c633:6401"));
    assertEquals("20010db8000000aa::/64", SourceNetwork.limitKey("2001:db8:0:aa::1"));
    assertEquals("198.51.100.1", SourceNetwork.limitKey("::ffff:198.51.100.1"));
    assertEquals("unknown", SourceNetwork.limitKey("not an address"));
  }
}
