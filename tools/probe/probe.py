#!/usr/bin/env python3
"""Replays the hostile-input cases of the reliability probe against a running `moellava serve` and prints a table.

Usage: probe.py --base http://127.0.0.1:8000 [--api-key KEY] [--context N]

Standard library only. Every case is sent to the given server (loopback in tests); each has the status code (or
behaviour) a well-behaved server gives. Exit status: 0 when every case matched, 1 otherwise.
"""
import argparse
import base64
import json
import socket
import struct
import sys
import threading
import time
import urllib.parse
import zlib


def png(width, height, with_pixels=True):
    """A PNG of the given size: real (all-black) pixels, or only a header when with_pixels is False."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    out = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if with_pixels:
        row = b"\x00" + b"\x00" * (3 * width)
        out += chunk(b"IDAT", zlib.compress(row * height, 9))
    return out + chunk(b"IEND", b"")


class Server:
    def __init__(self, base, api_key):
        url = urllib.parse.urlparse(base)
        self.host, self.port = url.hostname, url.port or 80
        self.api_key = api_key

    def raw(self, request, timeout=30):
        """Sends raw bytes, returns (status, headers text, body text); status 0 when the server closed silently."""
        with socket.create_connection((self.host, self.port), timeout=timeout) as s:
            s.sendall(request)
            data = b""
            while True:
                part = s.recv(65536)
                if not part:
                    break
                data += part
        head, _, body = data.partition(b"\r\n\r\n")
        first = head.split(b"\r\n", 1)[0].decode("latin-1")
        status = int(first.split()[1]) if first.startswith("HTTP/") else 0
        return status, head.decode("latin-1"), body.decode("utf-8", "replace")

    def request(self, method, path, body=None, content_type="application/json", host=None, extra=""):
        payload = body.encode() if isinstance(body, str) else (body or b"")
        auth = "Authorization: Bearer %s\r\n" % self.api_key if self.api_key else ""
        head = ("%s %s HTTP/1.1\r\nHost: %s\r\n%sContent-Type: %s\r\nContent-Length: %d\r\n%sConnection: close\r\n\r\n"
                % (method, path, host or "%s:%d" % (self.host, self.port), auth, content_type, len(payload), extra))
        return self.raw(head.encode("latin-1") + payload)

    def chat(self, body, **kw):
        return self.request("POST", "/v1/chat/completions", json.dumps(body) if not isinstance(body, str) else body, **kw)

    def health(self):
        return self.request("GET", "/health")


def image_message(data, text="what is this?"):
    url = "data:image/png;base64," + base64.b64encode(data).decode()
    return {"messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": url}}, {"type": "text", "text": text}]}], "max_tokens": 4}


def text_message(text, **extra):
    body = {"messages": [{"role": "user", "content": text}], "max_tokens": 4}
    body.update(extra)
    return body


def is_json_error(body):
    try:
        return "error" in json.loads(body)
    except ValueError:
        return False


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="the server, e.g. http://127.0.0.1:8000")
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--context", type=int, default=2048, help="the model's context in tokens")
    args = parser.parse_args()
    server = Server(args.base, args.api_key)
    results = []

    def case(name, expect, check):
        start = time.monotonic()
        try:
            got, ok = check()
        except Exception as e:  # a case that crashes the probe is a failed case, not a crashed probe
            got, ok = "probe error: %s" % e, False
        results.append((name, expect, got, ok, time.monotonic() - start))

    def status_is(expected, request, need_json=True):
        def run():
            status, _, body = request()
            ok = status == expected and (not need_json or is_json_error(body))
            return "%d%s" % (status, "" if not need_json or is_json_error(body) else " (not a JSON error)"), ok
        return run

    case("health", "200", status_is(200, server.health, need_json=False))
    # 2: images whose padding to a square is huge, or whose size overflows when squared
    case("png 26754x1 (pad = 2.1 GB)", "400", status_is(400, lambda: server.chat(image_message(png(26754, 1)))))
    case("png 16000000x1 header", "400", status_is(400, lambda: server.chat(image_message(png(16_000_000, 1, False)))))
    case("png 100000x100000 header", "400", status_is(400, lambda: server.chat(image_message(png(100_000, 100_000, False)))))

    def eight_at_once():
        statuses = []
        threads = [threading.Thread(target=lambda: statuses.append(server.chat(image_message(png(26754, 1)))[0]))
                   for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return ",".join(map(str, sorted(set(statuses)))), set(statuses) == {400}
    case("8 strips at once", "400", eight_at_once)
    # 3: a prompt longer than the context is refused with its true length, never truncated
    long_text = " ".join(["word"] * (args.context + 3000))

    def too_long():
        status, _, body = server.chat(text_message(long_text))
        return "%d" % status, status == 400 and is_json_error(body) and "context" in body
    case("prompt over the context", "400 naming the context", too_long)
    # 8: bad values are 400s naming the field, and bad paths JSON errors
    case("temperature 'NaN'", "400", status_is(400, lambda: server.chat(text_message("hi", temperature="NaN"))))
    case("top_p 0", "400", status_is(400, lambda: server.chat(text_message("hi", top_p=0))))
    case("max_tokens -1", "400", status_is(400, lambda: server.chat(text_message("hi", max_tokens=-1))))
    case("malformed JSON", "400", status_is(400, lambda: server.chat('{"messages": [')))
    case("unknown path", "404", status_is(404, lambda: server.request("GET", "/v2/nothing")))
    case("undecodable path", "400", status_is(400, lambda: server.raw(
        ("GET /%%zz HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\n\r\n" % (server.host, server.port)).encode())))
    # 9: without an API key, requests a browser page could send are refused
    if not args.api_key:
        case("rebound Host header", "403", status_is(403, lambda: server.chat(text_message("hi"), host="evil.example")))
        case("cross-site Origin", "403", status_is(403, lambda: server.chat(text_message("hi"),
                                                                           extra="Origin: https://evil.example\r\n")))
        case("text/plain POST", "415", status_is(415, lambda: server.chat(text_message("hi"), content_type="text/plain")))
    # 6: a non-streaming client that gives up frees its slot
    def abandoned():
        body = json.dumps(text_message("count to a thousand", max_tokens=args.context // 2)).encode()
        head = ("POST /v1/chat/completions HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\n\r\n" % (server.host, server.port, len(body))).encode()
        s = socket.create_connection((server.host, server.port), timeout=10)
        s.sendall(head + body)
        time.sleep(0.3)
        s.close()
        deadline = time.monotonic() + 5
        active = None
        while time.monotonic() < deadline:
            active = json.loads(server.health()[2]).get("active_sequences")
            if active == 0:
                break
            time.sleep(0.05)
        return "active_sequences %s" % active, active == 0
    case("client gives up (non-streaming)", "slot freed", abandoned)
    # 1: a body trickled at 1 byte per 5 s is cut (408) after the grace period, while the server keeps answering
    def slow_body():
        s = socket.create_connection((server.host, server.port), timeout=40)
        s.sendall(("POST /v1/chat/completions HTTP/1.1\r\nHost: %s:%d\r\nContent-Type: application/json\r\n"
                   "Content-Length: 1000\r\n\r\n{" % (server.host, server.port)).encode())
        started = time.monotonic()
        health_ok = True
        s.settimeout(5)
        reply = b""
        while time.monotonic() - started < 35:
            try:
                part = s.recv(4096)
                if not part:
                    break
                reply += part
                if b"\r\n\r\n" in reply:
                    break
            except socket.timeout:
                health_ok &= server.health()[0] == 200
                try:
                    s.sendall(b" ")
                except OSError:
                    break
        s.close()
        first = reply.split(b"\r\n", 1)[0].decode("latin-1")
        status = int(first.split()[1]) if first.startswith("HTTP/") else 0
        return "%d after %.0f s, health %s" % (status, time.monotonic() - started, "ok" if health_ok else "FAILED"), \
            status == 408 and health_ok
    case("slow body (1 byte / 5 s)", "408, health served", slow_body)
    case("health after all", "200", status_is(200, server.health, need_json=False))

    width = max(len(r[0]) for r in results)
    print("%-*s  %-24s %-28s %s" % (width, "case", "expected", "got", "ok"))
    for name, expect, got, ok, seconds in results:
        print("%-*s  %-24s %-28s %s  (%.2f s)" % (width, name, expect, got, "yes" if ok else "NO", seconds))
    failed = sum(1 for r in results if not r[3])
    print("probe: %d of %d cases as expected" % (len(results) - failed, len(results)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
