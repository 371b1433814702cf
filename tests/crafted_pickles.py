"""Hand-written pickle opcodes for the safe-unpickler tests: payloads that use only allow-listed
names (numpy.dtype, numpy's scalar and _reconstruct) yet forge a pointer, and Python 2 style
(cPickle protocol 2) dataset pickles as CIFAR's python files are written."""
from __future__ import annotations

import struct

import numpy as np


def u(text: str) -> bytes:  # BINUNICODE
    b = text.encode()
    return b"X" + struct.pack("<I", len(b)) + b


def s2(raw: bytes) -> bytes:  # BINSTRING: a Python 2 str (read back as str with encoding='latin1')
    return b"T" + struct.pack("<I", len(raw)) + raw


def dtype_op(name: str) -> bytes:  # numpy.dtype(name, 0, 1), as numpy pickles a dtype
    return b"cnumpy\ndtype\n(" + u(name) + b"K\x00K\x01tR"


def object_field_state() -> bytes:
    """A dtype state (BUILD) for 'V8' with one object field at offset 0 and its flags reset to 0."""
    return (b"(K\x03" + u("|") + b"N(" + u("a") + b"t}" + u("a") + b"(" + dtype_op("O8") + b"K\x00ts"
            + b"K\x08K\x01K\x00t")


def forged_void(ptr: int = 0x4141414141414141) -> bytes:
    """numpy.dtype('V8') restored (BUILD) with one object field and its flags reset to 0, then
    numpy's scalar() of 8 chosen bytes: a numpy.void whose field is the pointer ``ptr``."""
    return (b"cnumpy.core.multiarray\nscalar\n(" + dtype_op("V8") + object_field_state() + b"b" + b"C\x08"
            + struct.pack("<Q", ptr) + b"tR")


def array_op(dtype: bytes, data: bytes, shape: tuple[int, ...], state: bytes = b"") -> bytes:
    """_reconstruct(ndarray, (0,), b'b') then BUILD (1, shape, dtype [+ its BUILD state], False, data)."""
    dims = b"(" + b"".join(b"J" + struct.pack("<i", n) for n in shape) + b"t"
    return (b"cnumpy.core.multiarray\n_reconstruct\n(cnumpy\nndarray\nK\x00\x85C\x01bt" + b"R"
            + b"(K\x01" + dims + dtype + (state + b"b" if state else b"") + b"\x89"
            + b"B" + struct.pack("<I", len(data)) + data + b"tb")


def forged_array(ptr: int = 0x4141414141414141) -> bytes:
    """The same forged 'V8' dtype as the state of a one-element array of 8 chosen bytes."""
    return array_op(dtype_op("V8"), struct.pack("<Q", ptr), (1,), object_field_state())


def dataset_dict(value: bytes) -> bytes:  # protocol 4: {'data': <value>, 'labels': [0]}
    return b"\x80\x04}(" + u("data") + value + u("labels") + b"]K\x00au."


def py2_cifar(data: np.ndarray, labels: list[int], batch_label: str, label_key: str = "labels") -> bytes:
    """{'batch_label': ..., 'data': uint8 array, label_key: [...]} as Python 2's cPickle (protocol 2)
    writes it: keys and the array's bytes as str, dtype('u1') rebuilt with its state, NEWFALSE."""
    assert data.dtype == np.uint8 and data.flags.c_contiguous
    dims = b"(" + b"".join(b"J" + struct.pack("<i", n) for n in data.shape) + b"t"
    array = (b"cnumpy.core.multiarray\n_reconstruct\nq\x01cnumpy\nndarray\nq\x02K\x00\x85U\x01b\x87R"
             + b"(K\x01" + dims + b"cnumpy\ndtype\nU\x02u1K\x00K\x01\x87R"
             + b"(K\x03U\x01|NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb" + b"\x89" + s2(data.tobytes()) + b"tb")
    ints = b"".join(b"J" + struct.pack("<i", y) for y in labels)
    return (b"\x80\x02}q\x00(" + s2(b"batch_label") + s2(batch_label.encode()) + s2(b"data") + array
            + s2(label_key.encode()) + b"](" + ints + b"eu.")
