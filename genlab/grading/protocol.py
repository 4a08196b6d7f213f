"""The wire format between the grader and a student's kernel: plain JSON, never pickle.

The grader sends a question's inputs into the kernel and reads back what the student's
function returned; both directions go through :func:`encode` and :func:`decode`. Decoding
accepts only the shapes of data described here (tensors as base64 bytes of an allow-listed
dtype, numbers, short strings, sequences, the named test functions), so a hostile kernel can
at worst send a malformed answer, which the grader rejects (the question fails).
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "ANSWER_MIME",
    "F_GENERATORS",
    "NAMED_FUNCTIONS",
    "TEST_FUNCTIONS",
    "NamedFunction",
    "Opaque",
    "ProtocolError",
    "decode",
    "encode",
]

ANSWER_MIME = "application/vnd.genlab.answer+json"
MAX_ELEMENTS = 100_000  # a tensor larger than this travels as its shape and dtype only
MAX_DEPTH = 4
MAX_TEXT = 300

# dtype name -> (torch dtype, numpy dtype the bytes travel as)
_DTYPES = {
    "torch.float64": (torch.float64, np.float64),
    "torch.float32": (torch.float32, np.float64),
    "torch.float16": (torch.float16, np.float64),
    "torch.bfloat16": (torch.bfloat16, np.float64),
    "torch.int64": (torch.int64, np.int64),
    "torch.int32": (torch.int32, np.int64),
    "torch.int16": (torch.int16, np.int64),
    "torch.int8": (torch.int8, np.int64),
    "torch.uint8": (torch.uint8, np.int64),
    "torch.bool": (torch.bool, np.int64),
}


class ProtocolError(ValueError):
    """A message that is not in the wire format."""


class NamedFunction:
    """A test function ``f(z)`` that travels by name (``z**2``, ``sin(z)``, ...)."""

    def __init__(self, name: str, fn: Callable[[torch.Tensor], torch.Tensor]):
        self.name, self.fn = name, fn

    def __call__(self, z: torch.Tensor) -> torch.Tensor:
        return self.fn(z)

    def __repr__(self) -> str:
        return f"<f(z) = {self.name}>"


TEST_FUNCTIONS = {
    f.name: f
    for f in (
        NamedFunction("z**2", lambda z: z**2),
        NamedFunction("sin(z)", torch.sin),
        NamedFunction("z**3 - z", lambda z: z**3 - z),
        NamedFunction("exp(-z**2)", lambda z: torch.exp(-(z**2))),
    )
}

# Generators f of f-divergences (lecture 07), defined for z > 0; the rows of
# genlab.divergences.F_DIVERGENCES they belong to are listed in grading/questions/lecture07.py.
F_GENERATORS = {
    f.name: f
    for f in (
        NamedFunction("z*log(z)", lambda z: z * torch.log(z)),
        NamedFunction("-log(z)", lambda z: -torch.log(z)),
        NamedFunction("(z - 1)**2", lambda z: (z - 1) ** 2),
        NamedFunction("(sqrt(z) - 1)**2", lambda z: (torch.sqrt(z) - 1) ** 2),
        NamedFunction("abs(z - 1) / 2", lambda z: 0.5 * (z - 1).abs()),
        NamedFunction(
            "z*log(z) - (z + 1)*log(z + 1)", lambda z: z * torch.log(z) - (z + 1) * torch.log1p(z)
        ),
    )
}
NAMED_FUNCTIONS = {**TEST_FUNCTIONS, **F_GENERATORS}  # every function that may travel


@dataclass(frozen=True)
class Opaque:
    """A value that is not a tensor, number or sequence: kept as its type name and repr."""

    type_name: str
    text: str
    shape: tuple[int, ...] | None = None  # for a tensor too large to send

    def __repr__(self) -> str:
        return self.text


def _short(text: str) -> str:
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def encode(value, depth: int = 0) -> dict:
    """A JSON-able description of ``value`` (tensors travel as base64 bytes)."""
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype)
        shape = list(value.shape)
        if dtype not in _DTYPES:
            return {"kind": "opaque", "type": "Tensor", "text": f"a tensor of dtype {dtype}"}
        if value.numel() > MAX_ELEMENTS:
            return {"kind": "tensor", "dtype": dtype, "shape": shape, "data": None}
        wire = _DTYPES[dtype][1]
        array = value.detach().cpu().to(torch.float64 if wire is np.float64 else torch.int64)
        data = np.ascontiguousarray(array.numpy(), dtype=wire).tobytes()
        return {
            "kind": "tensor",
            "dtype": dtype,
            "shape": shape,
            "data": base64.b64encode(data).decode("ascii"),
        }
    if isinstance(value, NamedFunction):
        return {"kind": "function", "name": value.name}
    if value is None:
        return {"kind": "none"}
    if isinstance(value, bool | int | float) and not isinstance(value, np.generic):
        return {"kind": "number", "type": type(value).__name__, "value": repr(value)}
    if type(value) is str and len(value) <= MAX_TEXT:  # a setting's name (experiments)
        return {"kind": "string", "value": value}
    if isinstance(value, tuple | list) and depth < MAX_DEPTH:
        fields = getattr(value, "_fields", None)
        return {
            "kind": "sequence",
            "type": type(value).__name__,
            "fields": list(fields) if fields else None,
            "items": [encode(v, depth + 1) for v in value[:16]],
            "length": len(value),
        }
    try:
        text = repr(value)
    except Exception:  # a hostile __repr__ must not break the answer
        text = "<unprintable>"
    return {"kind": "opaque", "type": type(value).__name__, "text": _short(text)}


def _require(condition: bool, what: str) -> None:
    if not condition:
        raise ProtocolError(f"malformed message: {what}")


def decode(obj, depth: int = 0):
    """The value :func:`encode` described; ProtocolError for anything else."""
    _require(isinstance(obj, dict) and isinstance(obj.get("kind"), str), "expected an object")
    kind = obj["kind"]
    if kind == "tensor":
        dtype, shape, data = obj.get("dtype"), obj.get("shape"), obj.get("data")
        _require(dtype in _DTYPES, f"unknown dtype {dtype!r}")
        _require(
            isinstance(shape, list)
            and len(shape) <= 8
            and all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape),
            "bad shape",
        )
        numel = math.prod(shape)
        if data is None:
            _require(numel > MAX_ELEMENTS, "missing data")
            return Opaque("Tensor", f"a tensor of shape {tuple(shape)}", tuple(shape))
        _require(isinstance(data, str) and numel <= MAX_ELEMENTS, "bad data")
        torch_dtype, wire = _DTYPES[dtype]
        try:
            raw = base64.b64decode(data.encode("ascii"), validate=True)
        except (ValueError, UnicodeEncodeError) as err:
            raise ProtocolError(f"malformed message: bad base64 ({err})") from None
        _require(len(raw) == numel * 8, "data length does not match the shape")
        array = np.frombuffer(raw, dtype=wire).reshape(shape).copy()
        return torch.from_numpy(array).to(torch_dtype)
    if kind == "function":
        _require(obj.get("name") in NAMED_FUNCTIONS, "unknown test function")
        return NAMED_FUNCTIONS[obj["name"]]
    if kind == "none":
        return None
    if kind == "number":
        kinds = {"bool": lambda v: v == "True", "int": int, "float": float}
        _require(obj.get("type") in kinds and isinstance(obj.get("value"), str), "bad number")
        try:
            return kinds[obj["type"]](obj["value"])
        except ValueError:
            raise ProtocolError("malformed message: bad number") from None
    if kind == "string":
        value = obj.get("value")
        _require(isinstance(value, str) and len(value) <= MAX_TEXT, "bad string")
        return value
    if kind == "sequence":
        items = obj.get("items")
        _require(depth < MAX_DEPTH and isinstance(items, list) and len(items) <= 16, "bad sequence")
        values = [decode(item, depth + 1) for item in items]
        length = obj.get("length")
        _require(isinstance(length, int) and length >= len(values), "bad sequence length")
        if length > len(values):  # too long to send in full: say so
            return Opaque("tuple", f"a sequence of {length} values")
        return tuple(values)
    if kind == "opaque":
        type_name, text = obj.get("type"), obj.get("text")
        _require(isinstance(type_name, str) and isinstance(text, str), "bad opaque value")
        return Opaque(_short(type_name), _short(text))
    raise ProtocolError(f"malformed message: unknown kind {kind!r}")
