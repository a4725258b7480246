#!/usr/bin/env python3
"""Writes the fuzzer's starting corpus: valid and broken .npy files, in plain Python.

usage: tools/fuzz/make_corpus.py DIR
"""
import struct
import sys
from pathlib import Path


def npy(header, data=b"", version=1):
    """A .npy file: magic, version, header length, the header padded to 64 bytes, data."""
    prefix = 10 if version == 1 else 12
    pad = (64 - (prefix + len(header) + 1) % 64) % 64
    text = (header + " " * pad + "\n").encode("latin-1")
    length = struct.pack("<H", len(text)) if version == 1 else struct.pack("<I", len(text))
    return b"\x93NUMPY" + bytes([version, 0]) + length + text + data


def dict_(descr, shape, fortran="False"):
    return "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    f8 = struct.pack("<6d", 1.5, -2.0, 0.0, 3.25, 1e300, -1e-300)
    f4 = struct.pack("<6f", 1.5, -2.0, 0.0, 3.25, 7.0, 8.0)
    files = {
        "f8_2x3": npy(dict_("<f8", "(2, 3)"), f8),
        "f4_3x2": npy(dict_("<f4", "(3, 2)"), f4),
        "f8_fortran": npy(dict_("<f8", "(3, 2)", "True"), f8),
        "f8_vector": npy(dict_("<f8", "(6,)"), f8),
        "f8_scalar": npy(dict_("<f8", "()"), f8[:8]),
        "f8_3d": npy(dict_("<f8", "(1, 2, 3)"), f8),
        "bool": npy(dict_("|b1", "(2, 3)"), bytes([1, 0, 1, 0, 0, 1])),
        "uint8": npy(dict_("|u1", "(6,)"), bytes(range(6))),
        "int64": npy(dict_("<i8", "(2,)"), struct.pack("<2q", -1, 7)),
        "v2": npy(dict_("<f8", "(2, 3)"), f8, version=2),
        "v3": npy(dict_("<f8", "(2, 3)"), f8, version=3),
        "keys_reordered": npy("{'shape': (6,), 'fortran_order': False, 'descr': '<f8'}", f8),
        "double_quotes": npy('{"descr": "<f8", "fortran_order": False, "shape": (6,)}', f8),
        # broken ones
        "truncated_data": npy(dict_("<f8", "(2, 3)"), f8[:20]),
        "truncated_header": npy(dict_("<f8", "(2, 3)"), f8)[:30],
        "size0": npy(dict_("<f0", "(3, 6)")),
        "bool0": npy(dict_("|b0", "(3, 6)")),
        "long_size": npy(dict_("<f99999999999999999999", "(1,)"), f8[:8]),
        "float_shape": npy(dict_("<f8", "(1e3, 6)"), f8),
        "fraction_shape": npy(dict_("<f8", "(3.9, 6)"), f8),
        "negative_shape": npy(dict_("<f8", "(-1, 6)"), f8),
        "not_tuple": npy(dict_("<f8", "(6)"), f8),
        "huge_shape": npy(dict_("<f8", "(4294967296, 4294967296, 4294967296)")),
        "big_endian": npy(dict_(">f8", "(6,)"), f8),
        "complex": npy(dict_("<c16", "(3,)"), f8),
        "leading_zero": npy(dict_("<f04", "(6,)"), f4),
        "claims_4gib": b"\x93NUMPY\x02\x00\xff\xff\xff\xff",
        "version9": b"\x93NUMPY\x09\x00" + f8,
        "not_npy": b"hello, this is not numpy\n",
        "empty": b"",
        "duplicate_key": npy("{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (6,)}", f8),
        "unterminated": npy("{'descr': '<f8, 'fortran_order': False, 'shape': (6,)}", f8),
    }
    for name, data in files.items():
        (out / (name + ".npy")).write_bytes(data)
    print("%d files in %s" % (len(files), out))


if __name__ == "__main__":
    main()
