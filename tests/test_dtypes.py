"""dtypes and sizes as torch spells them (``neurona/dtypes.py``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import neurona as nr


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"])
def test_every_dtype_prints_like_torch_and_round_trips_through_numpy(name):
    ours, theirs = getattr(nr, name), getattr(torch, name)
    assert repr(ours) == str(theirs).replace("torch", "neurona")
    t = nr.zeros(2, dtype=ours)
    assert t.dtype is ours and t.numpy().dtype == np.dtype(str(theirs).removeprefix("torch."))
    assert np.zeros(1, dtype=ours).dtype == t.numpy().dtype  # NumPy takes it as a dtype
    assert ours.is_floating_point == theirs.is_floating_point and ours.itemsize == theirs.itemsize


def test_aliases_and_comparisons():
    assert nr.float is nr.float32 and nr.double is nr.float64 and nr.half is nr.float16
    assert nr.long is nr.int64 and nr.int is nr.int32 and nr.short is nr.int16
    assert nr.float32 == np.float32 == nr.float32 and nr.float32 != nr.float64 and nr.float64 == "float64"
    assert {nr.float32: 1}[np.dtype("float32")] == 1  # hashes as NumPy's dtype
    assert nr.tensor([1.5]).to("torch.float64").dtype == nr.float64  # torch's spelling as a string


def test_conversions_and_type():
    x = nr.tensor([[1.7, -2.2]])
    assert x.long().tolist() == [[1, -2]] and x.int().dtype == nr.int32 and x.half().dtype == nr.float16
    assert x.bool().dtype == nr.bool and x.short().dtype == nr.int16 and x.byte().dtype == nr.uint8
    assert x.type() == "neurona.FloatTensor" and x.type(nr.float64).dtype == nr.float64
    assert x.type("torch.LongTensor").dtype == nr.int64 and x.type_as(nr.tensor([1])).dtype == nr.int64
    with pytest.raises(TypeError, match="is not a dtype; expected one of neurona.float32"):
        x.to(dtype="floaty")


def test_size_is_a_tuple_with_numel():
    s = nr.zeros(2, 3, 4).size()
    assert s == (2, 3, 4) and isinstance(s, tuple) and repr(s) == "neurona.Size([2, 3, 4])"
    assert s.numel() == 24 and s[1:] == (3, 4) and repr(s[1:]) == "neurona.Size([3, 4])"
    assert nr.zeros(2, 3).shape.numel() == 6 and nr.zeros(2, 3).size(-1) == 3


def test_default_dtype_switch():
    try:
        nr.set_default_dtype(nr.float64)
        assert nr.get_default_dtype() is nr.float64
        assert nr.tensor([1.5]).dtype == nr.float64 and nr.randn(2).dtype == nr.float64 and nr.zeros(1).dtype == nr.float64
        assert nr.tensor([1]).dtype == nr.int64
    finally:
        nr.set_default_dtype(nr.float32)
    assert nr.tensor([1.5]).dtype == nr.float32
    with pytest.raises(TypeError, match="only floating dtypes can be the default"):
        nr.set_default_dtype(nr.int64)


def test_promote_types_finfo_iinfo_match_torch():
    for a, b in [("int64", "float32"), ("float32", "float64"), ("uint8", "int8"), ("bool", "int32")]:
        assert str(nr.promote_types(getattr(nr, a), getattr(nr, b))).removeprefix("neurona.") == \
            str(torch.promote_types(getattr(torch, a), getattr(torch, b))).removeprefix("torch.")
    assert nr.finfo(nr.float32).eps == torch.finfo(torch.float32).eps
    assert nr.iinfo(nr.int16).max == torch.iinfo(torch.int16).max
