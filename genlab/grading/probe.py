"""Call a function on a question's inputs and record what it did: the only grading code that
runs next to the student's code.

:func:`probe` is used twice: by :func:`genlab.grading.check` in the student's own notebook,
and by the grader, which sends inputs into the student's kernel (:func:`answer_request`) and
judges the recorded :class:`Answer` in its own process. Nothing here decides a verdict.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import torch

from genlab.grading import protocol

__all__ = ["Answer", "answer_request", "gradient_weights", "probe"]


@dataclass
class Answer:
    """What a function did on one input: its result (twice, to detect randomness), the
    gradients of a weighted sum of the result, or the exception it raised."""

    value: object = None
    again: object = None
    grads: dict[str, torch.Tensor | None] | None = None  # None: the result carries no gradient
    error: tuple[str, str] | None = None  # (exception type, message)
    grad_error: str | None = None
    mutated: list[str] = field(default_factory=list)  # inputs the function changed in place

    def to_json(self) -> dict:
        grads = (
            None if self.grads is None else {k: protocol.encode(v) for k, v in self.grads.items()}
        )
        return {
            "value": protocol.encode(self.value),
            "again": protocol.encode(self.again),
            "grads": grads,
            "error": list(self.error) if self.error else None,
            "grad_error": self.grad_error,
            "mutated": list(self.mutated),
        }

    @classmethod
    def from_json(cls, obj: Mapping) -> Answer:
        """Decode an answer from the kernel; ProtocolError if it is malformed."""
        if not isinstance(obj, Mapping):
            raise protocol.ProtocolError("malformed message: an answer must be an object")
        grads = obj.get("grads")
        if grads is not None:
            if not isinstance(grads, Mapping) or len(grads) > 16:
                raise protocol.ProtocolError("malformed message: bad gradients")
            grads = {str(k)[:64]: protocol.decode(v) for k, v in grads.items()}
        error = obj.get("error")
        if error is not None:
            if not (
                isinstance(error, list)
                and len(error) == 2
                and all(isinstance(e, str) for e in error)
            ):
                raise protocol.ProtocolError("malformed message: bad error")
            error = (error[0][:80], error[1][: protocol.MAX_TEXT])
        grad_error, mutated = obj.get("grad_error"), obj.get("mutated", [])
        if not (grad_error is None or isinstance(grad_error, str)) or not (
            isinstance(mutated, list) and all(isinstance(m, str) for m in mutated)
        ):
            raise protocol.ProtocolError("malformed message: bad fields")
        return cls(
            value=protocol.decode(obj.get("value")),
            again=protocol.decode(obj.get("again")),
            grads=grads,
            error=error,
            grad_error=grad_error[: protocol.MAX_TEXT] if grad_error else None,
            mutated=[m[:64] for m in mutated[:16]],
        )


def gradient_weights(t: torch.Tensor) -> torch.Tensor:
    """Fixed, distinct weights for ``(w * t).sum()``, so every element's gradient counts."""
    n = torch.arange(t.numel(), dtype=torch.float64, device=t.device)
    return (1.0 + 0.5 * torch.sin(1.3 * n + 0.7)).reshape(t.shape).to(t.dtype)


def _prepare(inputs: Mapping[str, object], grad_args) -> dict[str, object]:
    args = {}
    for name, value in inputs.items():
        if isinstance(value, torch.Tensor):
            value = value.detach().clone()
            if name in grad_args and value.is_floating_point():
                value.requires_grad_(True)
        args[name] = value
    return args


def _tensors(value) -> list[torch.Tensor]:
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, tuple | list):
        return [v for v in value if isinstance(v, torch.Tensor)]
    return []


def _short_error(err: BaseException) -> tuple[str, str]:
    try:
        text = str(err)
    except Exception:
        text = "<unprintable message>"
    text = text.strip().splitlines()[0] if text.strip() else ""
    return type(err).__name__, text[: protocol.MAX_TEXT]


def probe(fn: Callable, inputs: Mapping[str, object], grad_args=()) -> Answer:
    """Call ``fn(*inputs.values())`` (fresh copies of the inputs each time) and record it."""
    args = _prepare(inputs, grad_args)
    try:
        value = fn(*args.values())
    except KeyboardInterrupt:
        raise
    except BaseException as err:  # SystemExit included: a student's sys.exit() is an answer too
        return Answer(error=_short_error(err))
    answer = Answer(value=value)
    for name, original in inputs.items():
        arg = args[name]
        if isinstance(original, torch.Tensor) and not (
            arg.shape == original.shape and torch.equal(arg.detach().cpu(), original.detach().cpu())
        ):
            answer.mutated.append(name)
    try:
        answer.again = fn(*_prepare(inputs, ()).values())
    except KeyboardInterrupt:
        raise
    except BaseException as err:
        kind, text = _short_error(err)
        answer.again = protocol.Opaque("error", f"raised {kind}: {text}")
    if grad_args:
        answer.grads = _gradients(value, args, grad_args, answer)
    return answer


def _gradients(value, args, grad_args, answer: Answer):
    outputs = [t for t in _tensors(value) if t.requires_grad]
    if not outputs:
        return None
    wrt = [args[k] for k in grad_args]
    try:
        total = sum((gradient_weights(t) * t).sum() for t in outputs)
        grads = torch.autograd.grad(total, wrt, allow_unused=True)
    except Exception as err:
        answer.grad_error = "{}: {}".format(*_short_error(err))
        return None
    return {k: (None if g is None else g.detach()) for k, g in zip(grad_args, grads, strict=True)}


def answer_request(namespace: Mapping[str, object], request: str) -> None:
    """Kernel side of grading: probe ``namespace[function]`` on every case of ``request`` and
    publish the answers as one display output of type :data:`protocol.ANSWER_MIME`."""
    from IPython.display import publish_display_data

    req = json.loads(request)
    name, grad_args = req["function"], tuple(req["grad_args"])
    fn = namespace.get(name)
    answers = []
    for case in req["cases"]:
        if not callable(fn):
            what = "is not defined" if fn is None else f"is a {type(fn).__name__}, not a function"
            answers.append(Answer(error=("NameError", f"`{name}` {what}")).to_json())
            continue
        inputs = {k: protocol.decode(v) for k, v in case.items()}
        answers.append(probe(fn, inputs, grad_args).to_json())
    payload = {"nonce": req["nonce"], "question": req["question"], "answers": answers}
    publish_display_data({protocol.ANSWER_MIME: payload, "text/plain": f"answers for {name}"})
