"""Minimal GGUF v3 reader and writer (little-endian), the project's own, for the FIM model.

Reader: header, metadata key/values (typed, so they can be copied verbatim) and tensor infos.
Writer: magic "GGUF", version 3, tensor count (u64), kv count (u64), metadata, tensor infos
(name, n_dims, dims innermost first, ggml type, offset relative to the data section), padding
to `general.alignment` (default 32), tensor data (each tensor padded to the alignment).

Tensor types written: F32 (0), F16 (1), Q8_0 (8: blocks of 32 values = f16 scale d + 32 int8 q,
value = d * q, d = max|x| / 127, q = round(x / d)) -- the same rounding as ggml's reference
quantize_row_q8_0_ref.
"""
import struct

import numpy as np

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
DEFAULT_ALIGNMENT = 32

# metadata value types
T_U8, T_I8, T_U16, T_I16, T_U32, T_I32, T_F32, T_BOOL, T_STR, T_ARR, T_U64, T_I64, T_F64 = range(13)
_SCALAR = {
    T_U8: "<B", T_I8: "<b", T_U16: "<H", T_I16: "<h", T_U32: "<I", T_I32: "<i",
    T_F32: "<f", T_BOOL: "<?", T_U64: "<Q", T_I64: "<q", T_F64: "<d",
}
_NP = {
    T_U8: "<u1", T_I8: "<i1", T_U16: "<u2", T_I16: "<i2", T_U32: "<u4", T_I32: "<i4",
    T_F32: "<f4", T_BOOL: "<u1", T_U64: "<u8", T_I64: "<i8", T_F64: "<f8",
}

# ggml tensor types
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
QK8_0 = 32


class Value:
    """A typed metadata value. For arrays: type T_ARR, elem_type, value = list or numpy array."""

    __slots__ = ("type", "value", "elem_type")

    def __init__(self, type_, value, elem_type=None):
        self.type, self.value, self.elem_type = type_, value, elem_type

    def __repr__(self):
        if self.type == T_ARR:
            return f"Value(arr<{self.elem_type}>[{len(self.value)}])"
        return f"Value({self.type}, {self.value!r})"


# ----------------------------------------------------------------------------------------- reader


class _Buf:
    def __init__(self, data):
        self.d, self.p = memoryview(data), 0

    def take(self, fmt):
        v = struct.unpack_from(fmt, self.d, self.p)[0]
        self.p += struct.calcsize(fmt)
        return v

    def string(self):
        n = self.take("<Q")
        s = bytes(self.d[self.p : self.p + n])
        self.p += n
        return s

    def value(self, t):
        if t in _SCALAR:
            return self.take(_SCALAR[t])
        if t == T_STR:
            return self.string()
        raise ValueError(f"gguf: unexpected type {t}")


def read_gguf(path):
    """Returns (metadata: dict[str, Value] in file order, tensors: list of dicts, data_offset)."""
    with open(path, "rb") as f:
        data = f.read()
    b = _Buf(data)
    if bytes(b.d[0:4]) != GGUF_MAGIC:
        raise ValueError(f"{path}: not a GGUF file")
    b.p = 4
    version = b.take("<I")
    if version not in (2, 3):
        raise ValueError(f"{path}: GGUF version {version}")
    n_tensors = b.take("<Q")
    n_kv = b.take("<Q")
    meta = {}
    for _ in range(n_kv):
        key = b.string().decode("utf-8")
        t = b.take("<I")
        if t == T_ARR:
            et = b.take("<I")
            n = b.take("<Q")
            if et in _NP:
                arr = np.frombuffer(data, dtype=_NP[et], count=n, offset=b.p).copy()
                b.p += arr.nbytes
                meta[key] = Value(T_ARR, arr, et)
            elif et == T_STR:
                meta[key] = Value(T_ARR, [b.string() for _ in range(n)], et)
            else:
                raise ValueError(f"gguf: nested arrays unsupported ({key})")
        else:
            meta[key] = Value(t, b.value(t))
    tensors = []
    for _ in range(n_tensors):
        name = b.string().decode("utf-8")
        nd = b.take("<I")
        dims = [b.take("<Q") for _ in range(nd)]
        tt = b.take("<I")
        off = b.take("<Q")
        tensors.append({"name": name, "dims": dims, "type": tt, "offset": off})
    align = meta["general.alignment"].value if "general.alignment" in meta else DEFAULT_ALIGNMENT
    data_offset = (b.p + align - 1) // align * align
    for t in tensors:
        t["abs_offset"] = data_offset + t["offset"]
    return meta, tensors, data_offset


def tensor_bytes(path, info, nbytes):
    with open(path, "rb") as f:
        f.seek(info["abs_offset"])
        return f.read(nbytes)


# ------------------------------------------------------------------------------------ quantization


def quantize_q8_0(x):
    """x: float32 array whose last dim is a multiple of 32 -> bytes of Q8_0 blocks (row-major)."""
    x = np.ascontiguousarray(x, dtype=np.float32).reshape(-1, QK8_0)
    amax = np.abs(x).max(axis=1)
    d = amax / 127.0
    inv = np.where(d != 0, 1.0 / np.where(d != 0, d, 1), 0).astype(np.float32)
    q = np.round(x * inv[:, None]).astype(np.int8)  # ggml: roundf (half away from zero); see below
    # numpy rounds half to even; ggml's roundf rounds half away from zero -- fix the exact halves.
    xs = x * inv[:, None]
    half = np.abs(xs - np.trunc(xs)) == 0.5
    if half.any():
        q = np.where(half, (np.trunc(xs) + np.sign(xs)).astype(np.int8), q)
    blocks = np.empty(x.shape[0], dtype=[("d", "<f2"), ("q", "i1", (QK8_0,))])
    blocks["d"] = d.astype(np.float16)
    blocks["q"] = q
    return blocks.tobytes()


def dequantize_q8_0(raw, shape):
    blocks = np.frombuffer(raw, dtype=[("d", "<f2"), ("q", "i1", (QK8_0,))])
    x = blocks["q"].astype(np.float32) * blocks["d"].astype(np.float32)[:, None]
    return x.reshape(shape)


# ------------------------------------------------------------------------------------------ writer


def _pack_string(s):
    if isinstance(s, str):
        s = s.encode("utf-8")
    return struct.pack("<Q", len(s)) + s


def _pack_value(v):
    if v.type in _SCALAR:
        return struct.pack(_SCALAR[v.type], v.value)
    if v.type == T_STR:
        return _pack_string(v.value)
    if v.type == T_ARR:
        out = struct.pack("<IQ", v.elem_type, len(v.value))
        if v.elem_type == T_STR:
            return out + b"".join(_pack_string(s) for s in v.value)
        return out + np.asarray(v.value, dtype=_NP[v.elem_type]).tobytes()
    raise ValueError(f"gguf: cannot write type {v.type}")


class GgufWriter:
    def __init__(self, alignment=DEFAULT_ALIGNMENT):
        self.meta = {}
        self.tensors = []  # (name, dims innermost first, ggml type, bytes)
        self.alignment = alignment

    # metadata helpers
    def add(self, key, value):
        assert isinstance(value, Value)
        self.meta[key] = value

    def add_str(self, key, s):
        self.add(key, Value(T_STR, s.encode("utf-8") if isinstance(s, str) else s))

    def add_u32(self, key, n):
        self.add(key, Value(T_U32, int(n)))

    def add_f32(self, key, x):
        self.add(key, Value(T_F32, float(x)))

    def add_bool(self, key, b):
        self.add(key, Value(T_BOOL, bool(b)))

    def add_tensor(self, name, array, ggml_type):
        """array: numpy float array in PyTorch layout (outermost first); GGUF dims are reversed."""
        a = np.ascontiguousarray(array, dtype=np.float32)
        dims = list(reversed(a.shape))
        if ggml_type == GGML_F32:
            raw = a.tobytes()
        elif ggml_type == GGML_F16:
            raw = a.astype(np.float16).tobytes()
        elif ggml_type == GGML_Q8_0:
            if dims[0] % QK8_0:
                raise ValueError(f"{name}: row length {dims[0]} not a multiple of {QK8_0}")
            raw = quantize_q8_0(a)
        else:
            raise ValueError(f"unsupported ggml type {ggml_type}")
        self.tensors.append((name, dims, ggml_type, raw))

    def write(self, path):
        al = self.alignment
        if al != DEFAULT_ALIGNMENT:
            self.add_u32("general.alignment", al)
        head = bytearray()
        head += GGUF_MAGIC + struct.pack("<IQQ", GGUF_VERSION, len(self.tensors), len(self.meta))
        for k, v in self.meta.items():
            head += _pack_string(k) + struct.pack("<I", v.type) + _pack_value(v)
        offset = 0
        offsets = []
        for name, dims, tt, raw in self.tensors:
            offsets.append(offset)
            head += _pack_string(name) + struct.pack("<I", len(dims))
            head += b"".join(struct.pack("<Q", d) for d in dims)
            head += struct.pack("<IQ", tt, offset)
            offset += (len(raw) + al - 1) // al * al
        head += b"\0" * ((-len(head)) % al)
        with open(path, "wb") as f:
            f.write(head)
            for (name, dims, tt, raw), off in zip(self.tensors, offsets):
                f.write(raw)
                f.write(b"\0" * ((-len(raw)) % al))
        return len(head) + offset
