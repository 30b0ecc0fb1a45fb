#!/usr/bin/env python3
"""make_h2_corpus.py: write seed inputs for fuzz_h2 — HTTP/2 frames (after the
client preface, which fuzz_h2 adds itself) of real gRPC requests, built with
python3-h2 so the seeds are well-formed and the fuzzer starts deep inside.

Run from this directory: /usr/bin/python3 make_h2_corpus.py"""
import gzip
import os
import struct

import h2.config
import h2.connection

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def frame(body, flag=0):
    return struct.pack(">BI", flag, len(body)) + body


def request(path, messages, extra=(), end=True):
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sid = conn.get_next_available_stream_id()
    headers = [(":method", "POST"), (":scheme", "http"), (":path", path),
               (":authority", "127.0.0.1:50051"), ("content-type", "application/grpc"),
               ("te", "trailers"), *extra]
    conn.send_headers(sid, headers, end_stream=not messages and end)
    for i, m in enumerate(messages):
        conn.send_data(sid, m, end_stream=end and i == len(messages) - 1)
    out = conn.data_to_send()
    assert out.startswith(PREFACE)
    return out[len(PREFACE):]


SEEDS = {
    "health_check": request("/grpc.health.v1.Health/Check", [frame(b"")]),
    "health_check_named": request("/grpc.health.v1.Health/Check",
                                  [frame(b"\x0a\x16grpc.health.v1.Health")]),
    "health_watch": request("/grpc.health.v1.Health/Watch", [frame(b"")],
                            extra=[("grpc-timeout", "100m")]),
    "list_regions": request("/rci.v1.RegistryService/ListRegions", [frame(b"\x08\x02")]),
    "list_regions_circle": request("/rci.v1.RegistryService/ListRegions",
                                   [frame(b"\x12\x06szdghz")]),
    "gzip": request("/rci.v1.RegistryService/ListRegions",
                    [frame(gzip.compress(b"\x08\x03"), flag=1)],
                    extra=[("grpc-encoding", "gzip")]),
    "reflection_list": request("/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
                               [frame(b"\x3a\x01*")]),
    "reflection_symbol": request(
        "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        [frame(b"\x22\x17rci.v1.RegistryService"), frame(b"\x1a\x15rci/v1/registry.proto")]),
    "unknown_method": request("/rci.v1.RegistryService/Nope", [frame(b"")]),
    "two_messages": request("/grpc.health.v1.Health/Check", [frame(b""), frame(b"")]),
    "truncated": request("/grpc.health.v1.Health/Check", [b"\x00\x00\x00\x00\x09abc"]),
}

os.makedirs("corpus/fuzz_h2", exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join("corpus/fuzz_h2", name), "wb") as f:
        f.write(data)
print(f"wrote {len(SEEDS)} seeds")
