"""The accumulating projection of a BOLD monitor (API.md §12): a population's mean activity as an input.

Each step it adds ``scale · mean_j(pre.<variable>_j)`` to ``sum(<target>)`` of the BOLD population's
neuron. With a baseline of ``T`` ms (``normalize_input``), the ``int(T/dt)`` steps after
:meth:`AccProjection.start` only accumulate the means (the input is 0); at the step where the baseline
ends their mean ``m`` is computed, and from then on the input is ``scale · (mean - m) / (|m| + 1e-7)``.

The projection is an ordinary all-to-all projection whose TRANSMIT kernel is its own dendrite loop
(``ProjectionSpec.dendrite``), written in IR nodes: the interpreter and the LLVM engine run it like any
other kernel, and ``nnc dump-ir`` shows it. Its state is declared as attributes of the projection:

* ``scale`` (global parameter): the population's scale factor;
* ``baseline_until`` (global int): the step at which the baseline ends (-1: no baseline);
* ``baseline_sum``, ``baseline_count``, ``baseline_mean`` (per dendrite): the running sum and count of
  the means stored so far, and their mean once the baseline ended. Calling ``start()`` again extends the
  baseline (the sum keeps the earlier means, as the reference's baseline vector keeps its values).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from nnc.api.projection import Projection
from nnc.diagnostics import ModelError
from nnc.frontend.assemble import ProjectionSpec
from nnc.ir.functions import Func
from nnc.ir.model import Attribute, SynapseModel
from nnc.ir.nodes import (
    AddInput,
    Assign,
    Binary,
    BinaryOp,
    Call,
    Cast,
    CmpOp,
    Compare,
    Const,
    Expr,
    Let,
    Reduce,
    ReduceOp,
    Select,
    Step,
    Stmt,
    Temp,
    Var,
)
from nnc.ir.types import AttrKind, DType, Locality, Scope

#: Added to ``|m|`` before dividing by it (the reference's constant).
EPSILON = 1e-7

_STATE = (
    Attribute("baseline_until", DType.INT, Locality.GLOBAL, AttrKind.VARIABLE, -1),
    Attribute("baseline_sum", DType.REAL, Locality.SEMIGLOBAL, AttrKind.VARIABLE, 0.0),
    Attribute("baseline_count", DType.INT, Locality.SEMIGLOBAL, AttrKind.VARIABLE, 0),
    Attribute("baseline_mean", DType.REAL, Locality.SEMIGLOBAL, AttrKind.VARIABLE, 0.0),
)


def _var(name: str, dtype: DType = DType.REAL, locality: Locality = Locality.SEMIGLOBAL) -> Var:
    return Var(name, dtype, locality, Scope.SELF)


def _binary(op: BinaryOp, a: Expr, b: Expr) -> Binary:
    return Binary(op, a, b)


class AccProjection(Projection):
    """All-to-all projection adding ``scale_factor · mean(pre.<variable>)`` to the post's ``sum(target)``.

    Created by :class:`~nnc.extensions.bold.BoldMonitor` (one per recorded population and mapped
    input); ``normalize_input`` is the baseline length in ms (0: none).
    """

    def __init__(
        self,
        pre: object,
        post: object,
        target: str,
        variable: str,
        name: str | None = None,
        normalize_input: float = 0,
        scale_factor: float = 1.0,
        **kwargs: object,
    ):
        post_pop = getattr(post, "population", post)
        if getattr(post_pop, "is_spiking", False):
            raise ModelError("The post-synaptic population of an AccProjection must be rate-coded.")
        pre_pop = getattr(pre, "population", pre)
        attribute = pre_pop.neuron_model.attribute(variable)  # type: ignore[attr-defined]
        if attribute is None:
            raise ModelError(
                f"AccProjection: the population {pre_pop.name} has no attribute '{variable}' "  # type: ignore[attr-defined]
                "to record (check the mapping of the BOLD monitor)"
            )
        self.__dict__["_variable"] = attribute
        self.__dict__["_scale_factor"] = float(scale_factor)
        self.__dict__["_normalize_input"] = float(normalize_input or 0)
        model = SynapseModel(
            "AccProjection",
            (
                Attribute("scale", DType.REAL, Locality.GLOBAL, AttrKind.PARAMETER, float(scale_factor)),
                *(_STATE if self._normalize_input > 0 else ()),
            ),
            (),
            operation=ReduceOp.MEAN,
        )
        super().__init__(pre, post, target, model, name, **kwargs)

    # ------------------------------------------------------------------ the kernel
    def _dendrite_body(self) -> tuple[Stmt, ...]:
        """``sum(target) += scale · mean``, with the baseline handling when it is normalised."""
        a = self._variable
        mean = Let("mean", Reduce(ReduceOp.MEAN, Var(a.name, a.dtype, a.locality, Scope.PRE)))
        scale = _var("scale", locality=Locality.GLOBAL)
        if self._normalize_input <= 0:
            value: Expr = _binary(BinaryOp.MUL, scale, Temp("mean"))
            return (mean, *(AddInput(t, value) for t in self._targets))
        until = Cast(DType.REAL, _var("baseline_until", DType.INT, Locality.GLOBAL))
        now = Cast(DType.REAL, Step())
        total, count, base = _var("baseline_sum"), _var("baseline_count", DType.INT), _var("baseline_mean")
        collect = Temp("collect", DType.BOOL)
        relative = _binary(
            BinaryOp.DIV,
            _binary(BinaryOp.SUB, Temp("mean"), base),
            _binary(BinaryOp.ADD, Call(Func.FABS, (base,)), Const(EPSILON)),
        )
        value = Select(collect, Const(0.0), _binary(BinaryOp.MUL, scale, relative))
        return (
            mean,
            Let("collect", Compare(CmpOp.LT, now, until)),
            Assign(total, Select(collect, _binary(BinaryOp.ADD, total, Temp("mean")), total)),
            Assign(count, Select(collect, _binary(BinaryOp.ADD, count, Const(1.0)), count)),
            Assign(
                base,
                Select(Compare(CmpOp.EQ, now, until), _binary(BinaryOp.DIV, total, count), base),
            ),
            *(AddInput(t, value) for t in self._targets),
        )

    def _prepare(self, rng: object, aux_rng: object, env: object) -> ProjectionSpec:
        spec = super()._prepare(rng, aux_rng, env)  # type: ignore[arg-type]
        return replace(spec, dendrite=self._dendrite_body())

    # ------------------------------------------------------------------ baseline
    def start(self, baseline_period: int) -> None:
        """Collect a baseline over the next ``baseline_period`` steps (from the current step)."""
        if self._normalize_input <= 0:
            return
        until = self.network.current_step + int(baseline_period)
        if self._compiled:
            self._values.write("baseline_until", np.array([until], dtype=np.int32))
        else:
            self.baseline_until = until

    def _baseline_steps(self) -> int:
        """``int(normalize_input / dt)``: the baseline in steps."""
        return int(self._normalize_input / self.network.dt)
