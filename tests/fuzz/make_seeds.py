"""Seed corpora for the fuzzers: small valid safetensors and IDX files (raw and gzip'd).

    /usr/bin/python3 tests/fuzz/make_seeds.py SAFETENSORS_DIR IDX_DIR
"""
import gzip
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "fixtures"))
import safetensors_ref  # noqa: E402


def safetensors_seeds(d):
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(0)
    cases = {
        "one_f32": ({"w": rng.standard_normal((2, 3)).astype(np.float32)}, None),
        "scalar_f64": ({"x": np.array(1.5)}, {"step": "3"}),
        "i64": ({"idx": np.arange(5, dtype=np.int64)}, None),
        "mixed": ({"a": np.zeros((0, 2), np.float32), "b": np.ones(3), "c": np.arange(2)},
                  {"format": "pt", "k": "v"}),
        "empty": ({}, None),
        "unsupported_f16": ({"h": np.ones(4, np.float16)}, None),
    }
    for name, (arrays, meta) in cases.items():
        safetensors_ref.write(os.path.join(d, name + ".safetensors"), arrays, meta)


def idx_bytes(dims, rng):
    header = struct.pack(">BBBB", 0, 0, 8, len(dims)) + b"".join(struct.pack(">I", x) for x in dims)
    return header + rng.integers(0, 256, int(np.prod(dims)), dtype=np.uint8).tobytes()


def idx_seeds(d):
    os.makedirs(d, exist_ok=True)
    rng = np.random.default_rng(1)
    for dims in ([7], [3, 4], [2, 5, 5], [2, 1, 3, 2]):
        raw = idx_bytes(dims, rng)
        tag = "x".join(map(str, dims))
        with open(os.path.join(d, f"raw_{tag}.idx"), "wb") as f:
            f.write(raw)
        with open(os.path.join(d, f"gz_{tag}.idx.gz"), "wb") as f:
            f.write(gzip.compress(raw, mtime=0))
    # Compressible data, so the deflate stream has Huffman blocks and back-references.
    raw = struct.pack(">BBBBII", 0, 0, 8, 2, 40, 30) + bytes(range(30)) * 40
    with open(os.path.join(d, "gz_repetitive.idx.gz"), "wb") as f:
        f.write(gzip.compress(raw, mtime=0))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    safetensors_seeds(sys.argv[1])
    idx_seeds(sys.argv[2])
