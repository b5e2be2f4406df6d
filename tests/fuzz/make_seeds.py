#!/usr/bin/env python3
"""Writes the generated part of the committed seed corpora (tests/fuzz/corpus/):
valid MessagePack values for each descriptor of fuzz_types.h (fuzz_codec), frames
and payloads as peers send them (fuzz_wire), handshakes from either side
(fuzz_handshake), and selectors (fuzz_selector).
The topology and C-source files under tests/ and examples/ are seeds as well,
read in place by run_fuzz.sh (TREE_SEEDS in tests/fuzz/CMakeLists.txt).
Regression inputs found by fuzzing are committed beside these by hand
(names starting with "regress-") and are never overwritten here.

    tests/fuzz/make_seeds.py        (from the repository root)
"""
import os
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")


class Bin(bytes):
    """A value packed as MessagePack bin rather than str."""


class F32(float):
    """A float packed as float32."""


def pack(v):
    """A minimal MessagePack encoder (enough for seeds; no ext)."""
    if v is None:
        return b"\xc0"
    if v is True:
        return b"\xc3"
    if v is False:
        return b"\xc2"
    if isinstance(v, int):
        if 0 <= v <= 0x7F:
            return bytes([v])
        if -32 <= v < 0:
            return struct.pack(">b", v)
        if v >= 0:
            for code, fmt, lim in ((0xCC, ">B", 1 << 8), (0xCD, ">H", 1 << 16),
                                   (0xCE, ">I", 1 << 32), (0xCF, ">Q", 1 << 64)):
                if v < lim:
                    return bytes([code]) + struct.pack(fmt, v)
        for code, fmt, lim in ((0xD0, ">b", 1 << 7), (0xD1, ">h", 1 << 15),
                               (0xD2, ">i", 1 << 31), (0xD3, ">q", 1 << 63)):
            if -lim <= v:
                return bytes([code]) + struct.pack(fmt, v)
        raise ValueError(v)
    if isinstance(v, F32):
        return b"\xca" + struct.pack(">f", v)
    if isinstance(v, float):
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(v, Bin):
        n = len(v)
        head = b"\xc4" + struct.pack(">B", n) if n < 256 else b"\xc5" + struct.pack(">H", n)
        return head + bytes(v)
    if isinstance(v, str):
        b = v.encode()
        n = len(b)
        if n < 32:
            return bytes([0xA0 | n]) + b
        return (b"\xd9" + struct.pack(">B", n) if n < 256 else b"\xda" + struct.pack(">H", n)) + b
    if isinstance(v, (list, tuple)):
        n = len(v)
        head = bytes([0x90 | n]) if n < 16 else b"\xdc" + struct.pack(">H", n)
        return head + b"".join(pack(x) for x in v)
    if isinstance(v, dict):
        n = len(v)
        head = bytes([0x80 | n]) if n < 16 else b"\xde" + struct.pack(">H", n)
        return head + b"".join(pack(k) + pack(x) for k, x in v.items())
    raise TypeError(v)


def frame(ftype, payload, call_id=0, version=1, flags=0):
    return struct.pack(">IBBHQ", len(payload), version, ftype, flags, call_id) + payload


def write(harness, name, data):
    d = os.path.join(CORPUS, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def clear(harness):
    d = os.path.join(CORPUS, harness)
    if os.path.isdir(d):
        for f in os.listdir(d):
            if not f.startswith("regress-"):
                os.remove(os.path.join(d, f))


# Values per descriptor index of fz_trefs[] (fuzz_types.h).
LINK = [1, "a", [2, "b", None]]
EVERY = [True, -1, [1, -2], -(1 << 40), 255, 65535, (1 << 32) - 1, (1 << 64) - 1, F32(1.5),
         [0.1, 2.0], "s", Bin(b"xy"), [0, "l", None], [3, "p", [4, None, None]],
         [[1, "x", None], [2, None, None]], [[1, 2, 3], [4, 5, 6]], ["a", None, ""]]
ARGS = ["key", Bin(b"blob\x00"), [1, "x", None], 7]
CODEC = {
    0: [None], 1: [True, False], 2: [-5, 127, -128], 3: [123456, -(1 << 31)],
    4: [-(1 << 40), (1 << 63) - 1], 5: [65535, 0], 6: [(1 << 64) - 1], 7: [F32(1.5), 3, 0.1],
    8: [0.1, float("inf"), -0.0, 7], 9: ["hello", "", None, "x" * 40], 10: [Bin(b"\x00\x01"), None,
    Bin(b"")], 11: [LINK], 12: [LINK, None], 13: [EVERY], 14: [EVERY, None],
    15: [["a", "b", None, ""]], 16: [[Bin(b""), None]], 17: [[None, [1, "x", None], None]],
    18: [[[1, 2, 3], [-4, 5, 6]]], 19: [ARGS],
}
N_TREFS = 20


def codec_seeds():
    clear("fuzz_codec")
    for idx, values in CODEC.items():
        for k, v in enumerate(values):
            write("fuzz_codec", "t%02d-%d" % (idx, k), bytes([idx]) + pack(v))
    # The argument-struct entry points: an odd multiple of N_TREFS added.
    write("fuzz_codec", "args-link", bytes([11 + N_TREFS]) + pack(LINK))
    write("fuzz_codec", "args-every", bytes([13 + N_TREFS]) + pack(EVERY))
    write("fuzz_codec", "args-args", bytes([19 + N_TREFS]) + pack(ARGS))
    # A list of 30 links: as deep as msgpack-c's parser goes (codec.h).
    chain = None
    for i in range(30):
        chain = [i, "n", chain]
    write("fuzz_codec", "deep-chain", bytes([12]) + pack(chain))


def wire_seeds():
    clear("fuzz_wire")
    hello = pack([1, "api@api.example", "0123abcd", 42, Bin(bytes(32))])
    challenge = pack([1, "db@db.example", "0123abcd", 43, Bin(bytes(32)), Bin(bytes(32))])
    auth = pack([Bin(bytes(32)), [[0x1234, 1700000000000]]])
    welcome = pack([[[0x1234, 1700000000000], [7, 1]]])
    request = pack([0xDEADBEEFCAFEF00D, 5000, ARGS])
    reply = pack([0, EVERY, None])
    reply_err = pack([6, None, "no node serves it"])
    info = pack([100, 2000, 5, 8, 2, "0.2.0", 3600, 0.5])
    write("fuzz_wire", "handshake", frame(1, hello) + frame(2, challenge) + frame(3, auth) +
          frame(4, welcome))
    write("fuzz_wire", "calls", frame(6, request, 1) + frame(7, reply, 1) +
          frame(7, reply_err, 2) + frame(8, b"") + frame(9, info) + frame(10, b""))
    write("fuzz_wire", "refuse", frame(5, pack(["wrong cookie"])))
    write("fuzz_wire", "bad-version", frame(6, request, 1, version=2))
    write("fuzz_wire", "flags", frame(8, b"", flags=1))
    write("fuzz_wire", "huge-length", struct.pack(">IBBHQ", 0xFFFFFFFF, 1, 6, 0, 1))
    write("fuzz_wire", "payload-every", pack(EVERY))
    write("fuzz_wire", "payload-map", pack({"a": [1, 2, {"b": None}], "c": Bin(b"x" * 300)}))
    write("fuzz_wire", "payload-ext", b"\x92\xd4\x01\x02\xc7\x03\x05abc")
    write("fuzz_wire", "payload-str16", pack("y" * 300))
    write("fuzz_wire", "payload-array16", pack(list(range(20))))
    write("fuzz_wire", "payload-array32-lie", b"\xdd\xff\xff\xff\xff\x00")
    write("fuzz_wire", "payload-map32-lie", b"\xdf\x7f\xff\xff\xff\x00\x00")
    write("fuzz_wire", "nest-31", b"\x91" * 31 + b"\xc0")
    write("fuzz_wire", "nest-33", b"\x91" * 33 + b"\x90")
    write("fuzz_wire", "nest-40", b"\x91" * 40 + b"\x01")
    write("fuzz_wire", "trailing", pack([1, 2]) + b"\x00")


def handshake_seeds():
    """fuzz_handshake: byte 0 (bit 0 dialled, bit 1 splice a right MAC into AUTH),
    then frames [type][length, 2 bytes][payload] (see fuzz_handshake.c)."""
    clear("fuzz_handshake")

    def hf(ftype, payload):
        return struct.pack(">BH", ftype, len(payload)) + payload

    nonce = Bin(bytes(range(32)))
    hello_b = pack([2, "b@h", "f00d", 7])
    hello_g = pack([2, "g@h", "f00d", 7])
    auth = pack([nonce, Bin(b"\0" * 32), []])
    auth_served = pack([nonce, Bin(b"\0" * 32), [[1234, 5678]]])
    write("fuzz_handshake", "accept-configured", b"\x02" + hf(1, hello_b) + hf(3, auth))
    write("fuzz_handshake", "accept-generic", b"\x02" + hf(1, hello_g) + hf(3, auth))
    write("fuzz_handshake", "accept-generic-serving", b"\x02" + hf(1, hello_g) + hf(3, auth_served))
    write("fuzz_handshake", "accept-wrong-mac", b"\x00" + hf(1, hello_b) + hf(3, auth))
    write("fuzz_handshake", "accept-bad-name", b"\x02" + hf(1, pack([2, "e\x1b[31m\nWARN x@h", "f00d", 7])))
    write("fuzz_handshake", "accept-other-fingerprint", b"\x02" + hf(1, pack([2, "b@h", "beef", 7])))
    write("fuzz_handshake", "accept-self", b"\x02" + hf(1, pack([2, "a@h", "f00d", 7])))
    write("fuzz_handshake", "accept-refuse", b"\x00" + hf(5, pack(["no", False])))
    write("fuzz_handshake", "dial", b"\x01" + hf(2, pack([2, "b@h", "f00d", 7, nonce])) +
          hf(4, pack([Bin(b"\0" * 32), []])))
    write("fuzz_handshake", "dial-wrong-node", b"\x01" + hf(2, pack([2, "g@h", "f00d", 7, nonce])))
    write("fuzz_handshake", "dial-refused", b"\x01" + hf(5, pack(["wrong cookie", False])))


def selector_seeds():
    clear("fuzz_selector")
    for i, s in enumerate(["", "&db", "@api", '@:"db@db.example"', "&db !&backup",
                           "@worker !@:\"worker@w2.example\"", "@api @db &cache",
                           "!&legacy", "&db &cache", "  &a   @b  ", "&_x9 !@y_",
                           "@:\"a@b\" @a", "&db\t&x", "!", "@:\"a@\"", "&DB"]):
        write("fuzz_selector", "sel-%02d" % i, s)


def file_seeds():
    # The repository's own topologies and C sources are seeds too; run_fuzz.sh
    # reads them where they are (tests/fuzz/CMakeLists.txt, TREE_SEEDS).
    for h in ("fuzz_topology", "fuzz_lexer", "fuzz_source"):
        os.makedirs(os.path.join(CORPUS, h), exist_ok=True)
        clear(h)
    # "#sel " lines: selectors checked against the topology (fuzz_topology.c).
    shop = ("nodes:\n  api@api.example: [api, cache]\n  db@db.example: { tags: [db, cache], "
            "port: 4371 }\n  worker@w1.example: [worker]\n  worker@w2.example:\n"
            "    tags: [worker, gpu]\n    address: \"10.0.0.7:4370\"\n")
    for i, sel in enumerate(["&db", "&cache !@api", "@worker &gpu", '@:"db@db.example"',
                             "&nosuch", "@nosuch &db", "&db &worker", "!&", "&db\t@api"]):
        write("fuzz_topology", "sel-%02d.yaml" % i, shop + "#sel " + sel + "\n")
    write("fuzz_lexer", "lex-edges", "#define X(a) a ## b \\\n  /* c */ \"s\\\"\" 'c' u8\"x\" L'y'\n"
          "#include <a.h>\n# 12 \"file\"\n.5e+3 0x1fu a->b <<= ... @ ` \\\r\n/* open")
    write("fuzz_source", "src-edges",
          "#include <nebula.h>\n#if 0\nNB_API(\"&x\") int dead(void);\n#elif 1 && !0\n"
          "NB_ON(\"&api\") { }\n#endif\nNB_STRUCT(typedef struct p { int x; char *s; } p_t;)\n"
          "NB_API(\"@db !&cache\") p_t *find(int64_t id, const char *name, nb_bytes b)\n"
          "{ return 0; }\nNB_MODULE(.default_timeout = 100);\n")


def main():
    codec_seeds()
    wire_seeds()
    handshake_seeds()
    selector_seeds()
    file_seeds()
    for h in sorted(os.listdir(CORPUS)):
        print("%-14s %3d seeds" % (h, len(os.listdir(os.path.join(CORPUS, h)))))


if __name__ == "__main__":
    sys.exit(main())
