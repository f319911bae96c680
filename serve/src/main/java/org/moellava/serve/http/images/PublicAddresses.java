package org.moellava.serve.http.images;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * Which IP addresses an image URL may reach: only globally routable unicast ones. Refused, so that a request
 * cannot make the server probe its own network (server-side request forgery): the unspecified address, loopback,
 * link-local (which holds cloud metadata services at 169.254.169.254), private networks (10/8, 172.16/12,
 * 192.168/16, IPv6 unique-local fc00::/7), shared address space (100.64/10), IETF protocol assignments (192.0.0/24),
 * benchmarking (198.18/15), multicast, reserved (240/4) and broadcast; IPv4-mapped and IPv4-compatible IPv6
 * addresses, NAT64 (64:ff9b::/96) and 6to4 (2002::/16) are judged by the IPv4 address they carry. (IANA's
 * special-purpose address registries, RFC 6890.)
 */
public final class PublicAddresses {
  private PublicAddresses() {}

  /** Why {@code address} may not be reached, or null when it is a public address. */
  public static String refusal(InetAddress address) {
    if (address instanceof Inet6Address v6) {
      byte[] b = v6.getAddress();
      Inet4Address embedded = embeddedIpv4(b);
      if (embedded != null) {
        return refusal(embedded);
      }
      if (v6.isAnyLocalAddress()) {
        return "the unspecified address";
      }
      if (v6.isLoopbackAddress()) {
        return "a loopback address";
      }
      if (v6.isLinkLocalAddress()) {
        return "a link-local address";
      }
      if (v6.isSiteLocalAddress()) {
        return "a site-local address";
      }
      if ((b[0] & 0xfe) == 0xfc) {
        return "a private (unique-local) address";
      }
      if (v6.isMulticastAddress()) {
        return "a multicast address";
      }
      return null;
    }
    byte[] b = address.getAddress();
    int a0 = b[0] & 0xff;
    int a1 = b[1] & 0xff;
    int a2 = b[2] & 0xff;
    if (a0 == 0) {
      return "the unspecified address";
    }
    if (a0 == 127) {
      return "a loopback address";
    }
    if (a0 == 169 && a1 == 254) {
      return "a link-local address";
    }
    if (a0 == 10 || (a0 == 172 && a1 >= 16 && a1 <= 31) || (a0 == 192 && a1 == 168)) {
      return "a private address";
    }
    if (a0 == 100 && a1 >= 64 && a1 <= 127) {
      return "a shared (carrier-grade NAT) address";
    }
    if (a0 == 192 && a1 == 0 && a2 == 0) {
      return "an IETF protocol address";
    }
    if (a0 == 198 && (a1 == 18 || a1 == 19)) {
      return "a benchmarking address";
    }
    if (a0 >= 224 && a0 <= 239) {
      return "a multicast address";
    }
    if (a0 >= 240) {
      return "a reserved address";
    }
    return null;
  }

  /** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64, 6to4), or null. */
  private static Inet4Address embeddedIpv4(byte[] b) {
    boolean firstTenZero = true;
    for (int i = 0; i < 10; i++) {
      firstTenZero &= b[i] == 0;
    }
    boolean mapped = firstTenZero && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
    boolean compatible = firstTenZero && b[10] == 0 && b[11] == 0
        && !(b[12] == 0 && b[13] == 0 && b[14] == 0 && (b[15] == 0 || b[15] == 1)); // not :: or ::1
    boolean nat64 = (b[0] & 0xff) == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff
        && (b[3] & 0xff) == 0x9b && allZero(b, 4, 12);
    if (mapped || compatible || nat64) {
      return ipv4(b[12], b[13], b[14], b[15]);
    }
    if ((b[0] & 0xff) == 0x20 && (b[1] & 0xff) == 0x02) { // 6to4: 2002:AABB:CCDD::/48
      return ipv4(b[2], b[3], b[4], b[5]);
    }
    return null;
  }

  private static boolean allZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static Inet4Address ipv4(byte a, byte b, byte c, byte d) {
    try {
      return (Inet4Address) InetAddress.getByAddress(new byte[] {a, b, c, d});
    } catch (UnknownHostException e) {
      throw new IllegalStateException("4 bytes are an IPv4 address", e);
    }
  }
}
