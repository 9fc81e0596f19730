"""Source spans and the nnc error hierarchy, with caret rendering of DSL locations."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "ANNarchyException",
    "BackendError",
    "CompileError",
    "DslError",
    "DslNameError",
    "DslSyntaxError",
    "DslTypeError",
    "InternalError",
    "ModelError",
    "NncError",
    "PassError",
    "SimulationError",
    "SourceSpan",
    "SourceText",
]


@dataclass(frozen=True, slots=True)
class SourceText:
    """One DSL field of one model object, as the user wrote it.

    ``owner`` names the object ("Neuron 'LIF'"), ``field`` the argument ("equations").
    ``text`` is the field after lists were joined with newlines (DSL.md §1).
    """

    owner: str
    field: str
    text: str

    def line(self, lineno: int) -> str:
        """Return physical line ``lineno`` (1-based) of the text, without its newline."""
        lines = self.text.split("\n")
        if 1 <= lineno <= len(lines):
            return lines[lineno - 1]
        return ""


@dataclass(frozen=True, slots=True)
class SourceSpan:
    """A range of characters on one physical line of a :class:`SourceText` (1-based line/column)."""

    source: SourceText = field(compare=False)
    line: int
    col: int
    end_col: int

    def render(self) -> str:
        """Return the ``--> owner, field line L, col C`` header, the line and carets."""
        text = self.source.line(self.line)
        width = max(1, min(self.end_col, len(text) + 1) - self.col)
        return (
            f"  --> {self.source.owner}, {self.source.field} line {self.line}, col {self.col}\n"
            f"   | {text}\n"
            f"   | {' ' * (self.col - 1)}{'^' * width}"
        )

    def __str__(self) -> str:
        return f"{self.source.owner}, {self.source.field} line {self.line}, col {self.col}"


class NncError(Exception):
    """Base class of every error nnc raises on purpose."""


class ANNarchyException(NncError):  # noqa: N818 - name kept for scripts written for the reference
    """Compatibility alias: scripts written for the reference simulator catch this name."""


class DslError(ANNarchyException):
    """An error in a model description, located by a span, with an optional hint."""

    def __init__(self, message: str, span: SourceSpan | None = None, hint: str | None = None):
        self.message = message
        self.span = span
        self.hint = hint
        super().__init__(self._render())

    @property
    def line(self) -> int | None:
        """1-based line of the error in its field, or None without a span."""
        return self.span.line if self.span else None

    @property
    def col(self) -> int | None:
        """1-based column of the error, or None without a span."""
        return self.span.col if self.span else None

    def _render(self) -> str:
        parts = [f"error: {self.message}"]
        if self.span is not None:
            parts.append(self.span.render())
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class DslSyntaxError(DslError):
    """Text that the equation grammar cannot read, or a malformed statement."""


class DslNameError(DslError):
    """An unknown, duplicate or reserved name."""


class DslTypeError(DslError):
    """A construct used where its kind, locality or arity is not allowed."""


class ModelError(ANNarchyException):
    """A model or network that is well-formed text but inconsistent (missing r, bad connector, ...)."""


class CompileError(NncError):
    """Compilation of a network failed."""


class PassError(CompileError):
    """A pass failed or produced IR that does not verify."""


class BackendError(CompileError):
    """Lowering, optimisation or JIT compilation failed."""


class SimulationError(ANNarchyException):
    """Misuse of a compiled network (simulate before compile, bad attribute value, ...)."""


class InternalError(NncError):
    """A bug in nnc; the message names the stage where it happened."""

    def __init__(self, stage: str, message: str):
        self.stage = stage
        super().__init__(f"internal error (step: {stage}): {message}")
