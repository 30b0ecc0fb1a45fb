#!/usr/bin/python3
"""make_lit_seeds.py: the lit_* seeds of fuzz_h2 — frames built by hand,
headers HPACK-encoded without Huffman so paths and values stay visible to the
mutator (python3-hpack, installed with python3-h2).

Run: /usr/bin/python3 make_lit_seeds.py corpus/fuzz_h2"""
import gzip, os, struct, sys
import hpack

OUT = sys.argv[1]

def fr(ftype, flags, sid, payload=b""):
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + struct.pack(">I", sid) + payload

DATA, HEADERS, PRIORITY, RST, SETTINGS, PING, GOAWAY, WINUP = 0, 1, 2, 3, 4, 6, 7, 8
ES, EH = 0x1, 0x4

def settings(**kw):
    ids = {"window": 4, "frame": 5, "hlist": 6, "push": 2, "streams": 3}
    return fr(SETTINGS, 0, 0, b"".join(struct.pack(">HI", ids[k], v) for k, v in kw.items()))

def msg(body, flag=0):
    return struct.pack(">BI", flag, len(body)) + body

class Conn:
    def __init__(self, **kw):
        self.enc = hpack.Encoder()
        self.out = settings(**kw) if kw else settings(push=0)
    def headers(self, sid, path, extra=(), end=False, method="POST", ct="application/grpc"):
        h = [(":method", method), (":scheme", "http"), (":path", path),
             (":authority", "127.0.0.1:50051")]
        if ct is not None:
            h.append(("content-type", ct))
        h += [("te", "trailers"), *extra]
        block = self.enc.encode(h, huffman=False)
        parts = [block[i:i + 16384] for i in range(0, len(block), 16384)]
        for i, part in enumerate(parts):
            last = EH if i == len(parts) - 1 else 0
            if i == 0:
                self.out += fr(HEADERS, last | (ES if end else 0), sid, part)
            else:
                self.out += fr(9, last, sid, part)
        return self
    def trailers(self, sid, extra=(("x-t", "1"),)):
        self.out += fr(HEADERS, EH | ES, sid, self.enc.encode(list(extra), huffman=False))
        return self
    def data(self, sid, payload, end=False):
        self.out += fr(DATA, ES if end else 0, sid, payload)
        return self
    def raw(self, b):
        self.out += b
        return self

H = "/grpc.health.v1.Health/"
R1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo"
RA = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"
LR = "/rci.v1.RegistryService/ListRegions"

def refl(field, value):
    v = value.encode()
    return msg(bytes([field << 3 | 2, len(v)]) + v)

def ext(typ, num):
    inner = bytes([0x0a, len(typ)]) + typ.encode() + bytes([0x10, num])
    return msg(bytes([5 << 3 | 2, len(inner)]) + inner)

seeds = {}
seeds["lit_health_check"] = Conn().headers(1, H + "Check").data(1, msg(b""), end=True).out
seeds["lit_health_unknown"] = Conn().headers(1, H + "Check").data(1, msg(b"\x0a\x03foo"), end=True).out
seeds["watch_deadline_now"] = Conn().headers(1, H + "Watch", [("grpc-timeout", "0n")]).data(1, msg(b""), end=True).out
seeds["deadline_passes_in_request"] = (Conn().headers(1, R1, [("grpc-timeout", "5u")])
                                       .data(1, refl(7, "")).raw(fr(PING, 0, 0, b"abcdefgh") * 40)
                                       .data(1, refl(7, ""), end=True).out)
seeds["watch_unknown"] = Conn().headers(1, H + "Watch").data(1, msg(b"\x0a\x03foo"), end=True).out
seeds["uploading_deadline"] = Conn().headers(1, LR, [("grpc-timeout", "0n")]).data(1, b"\x00\x00\x00\x00\x05\x08").out
seeds["reject_while_uploading"] = (Conn().headers(1, "/rci.v1.RegistryService/Nope")
                                   .data(1, msg(b"")).raw(fr(PING, 0, 0, b"12345678"))
                                   .data(1, msg(b""), end=True).out)
seeds["multi_stream_rst"] = (Conn().headers(1, H + "Check").data(1, msg(b""), end=True)
                             .headers(3, H + "Watch").data(3, msg(b""), end=True)
                             .headers(5, R1).data(5, refl(7, "*"))
                             .raw(fr(RST, 0, 3, struct.pack(">I", 8)))
                             .data(5, refl(4, "grpc.health.v1.Health"), end=True).out)
seeds["client_trailers"] = Conn().headers(1, LR).data(1, msg(b"\x08\x02")).trailers(1).out
seeds["get_405"] = Conn().headers(1, H + "Check", method="GET", end=True).out
seeds["ct_415"] = Conn().headers(1, H + "Check", ct="text/plain").data(1, msg(b""), end=True).out
seeds["ct_json"] = Conn().headers(1, H + "Check", ct="application/grpc+json").data(1, msg(b""), end=True).out
seeds["ct_params"] = Conn().headers(1, H + "Check", ct="application/grpc+proto;x=1").data(1, msg(b""), end=True).out
seeds["headers_too_many"] = Conn(hlist=65536).headers(1, H + "Check", [("x-m%d" % i, "v") for i in range(70)]).data(1, msg(b""), end=True).out
seeds["headers_too_large"] = Conn().headers(1, H + "Check", [("x-big%d" % i, "v" * 4000) for i in range(5)]).data(1, msg(b""), end=True).out
seeds["encoding_br"] = Conn().headers(1, LR, [("grpc-encoding", "br")]).data(1, msg(b"x", 1), end=True).out
seeds["flag_no_encoding"] = Conn().headers(1, LR).data(1, msg(b"\x08\x02", 1), end=True).out
seeds["flag_bad"] = Conn().headers(1, LR).data(1, msg(b"\x08\x02", 2), end=True).out
seeds["length_too_large"] = Conn().headers(1, LR).data(1, b"\x00\x00\x50\x00\x00", end=True).out
seeds["gzip_bomb"] = Conn().headers(1, LR, [("grpc-encoding", "gzip")]).data(1, msg(gzip.compress(b"\x00" * (5 << 20)), 1), end=True).out
seeds["gzip_bad"] = Conn().headers(1, LR, [("grpc-encoding", "gzip")]).data(1, msg(b"\x1f\x8bxxxx", 1), end=True).out
seeds["unary_no_message"] = Conn().headers(1, H + "Check", end=True).out
seeds["bidi_no_message"] = Conn().headers(1, R1, end=True).out
seeds["bad_proto"] = Conn().headers(1, LR).data(1, msg(b"\xff\xff\xff"), end=True).out
seeds["list_regions_bad"] = (Conn().headers(1, LR).data(1, msg(b"\x08\x09"), end=True)
                             .headers(3, LR).data(3, msg(b"\x12\x03A-B"), end=True).out)
seeds["client_goaway"] = (Conn().headers(1, H + "Watch").data(1, msg(b""), end=True)
                          .raw(fr(GOAWAY, 0, 0, struct.pack(">II", 1, 0))).out)
seeds["priority_winupdate"] = (Conn().raw(fr(PRIORITY, 0, 1, struct.pack(">IB", 0, 15)))
                               .headers(1, H + "Check").raw(fr(WINUP, 0, 1, struct.pack(">I", 1000)))
                               .raw(fr(WINUP, 0, 0, struct.pack(">I", 1 << 20)))
                               .data(1, msg(b""), end=True).out)
seeds["reflection_all"] = (Conn().headers(1, RA, [("grpc-timeout", "5S")])
                           .data(1, refl(3, "rci/v1/registry.proto") + refl(3, "nope.proto")
                                 + refl(4, "rci.v1.RegistryService.ListRegions") + refl(4, "no.Such")
                                 + ext("rci.v1.Region", 100) + refl(6, "rci.v1.Region") + refl(6, "no.Such")
                                 + refl(7, "") + msg(b"\x0a\x04host") + msg(b""))
                           .data(1, b"", end=True).out)
# Large answers with a wide window: back-pressure (64 KiB) and write-callback resume.
big = Conn(window=0x7fffffff).raw(fr(WINUP, 0, 0, struct.pack(">I", 0x7fffffff - 65535))).headers(1, R1)
big.data(1, refl(4, "grpc.reflection.v1alpha.ServerReflection") * 60, end=True)
while len(big.out) % 3:   # fuzz_h2 mode 0: no drain, all answers go out
    big.raw(fr(PING, 0, 0, b"abcdefgh"))
seeds["reflection_backpressure"] = big.out
# A Watch that crosses the GOAWAY notice: fuzz_h2 splits the input in two
# halves when its length is 2 mod 3 and starts draining in between.
late = Conn().raw(fr(PING, 0, 0, b"abcdefgh") * 6)
late.headers(1, H + "Watch").data(1, msg(b""), end=True)
late.raw(fr(WINUP, 0, 0, struct.pack(">I", 1)))
assert len(late.out) % 3 == 2 and len(late.out) // 2 <= 15 + 17 * 6
seeds["watch_after_notice"] = late.out
os.makedirs(OUT, exist_ok=True)
for k, v in seeds.items():
    assert len(v) <= 48 * 1024, (k, len(v))
    open(os.path.join(OUT, k), "wb").write(v)
print(len(seeds), "seeds", {k: len(v) for k, v in seeds.items()})
