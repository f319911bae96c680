package org.moellava.serve.http.images;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.net.InetAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The addresses an image URL may reach, against IANA's special-purpose registries (RFC 6890, RFC 4193, RFC 6598). */
class PublicAddressesTest {

  @ParameterizedTest
  @CsvSource({
      "0.0.0.0, the unspecified address",
      "127.0.0.1, a loopback address",
      "127.255.0.9, a loopback address",
      "169.254.169.254, a link-local address",
      "10.0.0.1, a private address",
      "172.16.0.1, a private address",
      "172.31.255.254, a private address",
      "192.168.1.1, a private address",
      "100.64.0.1, a shared (carrier-grade NAT) address",
      "100.127.255.255, a shared (carrier-grade NAT) address",
      "192.0.0.8, an IETF protocol address",
      "198.18.0.1, a benchmarking address",
      "198.19.255.255, a benchmarking address",
      "224.0.0.1, a multicast address",
      "239.255.255.250, a multicast address",
      "240.0.0.1, a reserved address",
      "255.255.255.255, a reserved address",
      "::, the unspecified address",
      "::1, a loopback address",
      "fe80::1, a link-local address",
      "fc00::1, a private (unique-local) address",
      "fd12:3456::1, a private (unique-local) address",
      "ff02::1, a multicast address",
      "::ffff:127.0.0.1, a loopback address",
      "::ffff:169.254.169.254, a link-local address",
      "::10.0.0.1, a private address",
      "64:ff9b::a9fe:a9fe, a link-local address",
      "2002:c0a8:0101::1, a private address",
  })
  void nonPublicAddressesAreRefusedWithTheirKind(String address, String kind) throws Exception {
    assertEquals(kind, PublicAddresses.refusal(InetAddress.getByName(address)), address);
  }

  @ParameterizedTest
  @ValueSource(strings = {"8.8.8.8", "1.1.1.1", "172.15.255.255", "172.32.0.1", "100.63.255.255", "100.128.0.1",
      "192.169.0.1", "169.253.0.1", "198.20.0.1", "223.255.255.254", "2001:4860:4860::8888", "2606:4700::1111",
      "::ffff:8.8.8.8", "2002:0808:0808::1"})
  void publicAddressesMayBeReached(String address) throws Exception {
    assertNull(PublicAddresses.refusal(InetAddress.getByName(address)), address);
  }

  @ParameterizedTest
  @ValueSource(strings = {"localhost"})
  void namesAreJudgedByTheirAddresses(String host) throws Exception {
    for (InetAddress address : InetAddress.getAllByName(host)) {
      assertNotNull(PublicAddresses.refusal(address), host + " = " + address);
    }
  }
}
