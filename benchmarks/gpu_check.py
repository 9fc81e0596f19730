"""GPU figures, printed as one JSON object: compile time of the PTX path next to the CPU path's, and (on a
machine with an NVIDIA GPU) COBA scaled up and the rate network on the GPU next to the CPU engine.

* ``compile``: for the rate network of ``rate_net.py`` and COBA (4000 neurons), the CPU path (lowering,
  optimisation and machine code of the LLVM engine, no cache) and the PTX path (lowering to NVPTX LLVM IR,
  libdevice, optimisation and PTX emission; no GPU needed), medians of ``--repeats`` runs in this process;
  with ptxas on PATH also ptxas's time for the module (what the driver's JIT does on a device).
* ``coba``: the COBA network of ``examples/coba.py`` scaled to ``--neurons`` (default 100 000) with the
  number of synapses per neuron kept (connection probability ``0.02 * 4000 / N``): compile and simulate
  times on the GPU, mean rate, spikes and synaptic events per second; the CPU engine (``--cpu-threads``)
  simulates ``--cpu-duration`` ms of it for the ratio.
* ``rate``: the rate network (2000 + 2000 neurons, dense recurrent, sparse input), ``--rate-steps`` steps
  on the GPU and on the CPU, and whether the recorded rates are equal (they should be bit for bit: no
  FMA contraction, nnc's own sin, the fixed reduction order; ``tanh`` is libdevice's, so ``r`` may differ
  in the last bits).

* ``choices``: the kernel variants side by side on the GPU (medians of ``--repeats`` alternated runs, the
  network compiled once per variant): COBA (``--neurons``, ``--choice-duration`` ms) with atomic spike
  delivery against ``deterministic`` (rank-ordered lists, post-partitioned delivery), with the spikes of
  both; the rate network with weighted sums over 8 threads per dendrite against one thread per dendrite
  (``sum_lanes``), with whether their recordings are equal (they must be).

``--emulate`` runs the GPU parts on the host emulation (small ``--neurons``: a smoke test of the script).

    python benchmarks/gpu_check.py [--parts compile,coba,rate,choices] [--neurons 100000] [--duration 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import numpy as np

import nnc as ann


def coba(n: int, seed: int = 42) -> tuple[ann.Network, ann.Population, ann.Monitor]:
    """COBA with ``n`` neurons (80 % excitatory), ``0.02 * 4000`` synapses per neuron on average."""
    model = ann.Neuron(
        parameters=dict(El=-60.0, Vr=-60.0, Erev_exc=0.0, Erev_inh=-80.0, Vt=-50.0, tau=20.0, tau_exc=5.0,
                        tau_inh=10.0, I=20.0),
        equations=[
            "tau * dv/dt = (El - v) + g_exc * (Erev_exc - v) + g_inh * (Erev_inh - v) + I",
            "tau_exc * dg_exc/dt = - g_exc",
            "tau_inh * dg_inh/dt = - g_inh",
        ],
        spike="v > Vt",
        reset="v = Vr",
        refractory=5.0,
    )  # fmt: skip
    net = ann.Network(dt=0.1, seed=seed)
    pop = net.create(n, model)
    pop.v = ann.Normal(-55.0, 5.0, rng=net.default_rng)
    pop.g_exc = ann.Normal(4.0, 1.5, rng=net.default_rng)
    pop.g_inh = ann.Normal(20.0, 12.0, rng=net.default_rng)
    p = min(1.0, 0.02 * 4000 / n)
    ne = int(0.8 * n)
    net.connect(pop[:ne], pop, "exc").fixed_probability(weights=0.6 * 4000 * 0.02 / (p * n), probability=p)
    net.connect(pop[ne:], pop, "inh").fixed_probability(weights=6.7 * 4000 * 0.02 / (p * n), probability=p)
    return net, pop, net.monitor(pop, "spike")


def rate_net(n: int = 2000, seed: int = 1) -> tuple[ann.Network, ann.Monitor]:
    """The rate network of ``benchmarks/rate_net.py``."""
    net = ann.Network(dt=1.0, seed=seed)
    inp = net.create(
        n,
        ann.Neuron(
            parameters=dict(
                omega=ann.Parameter(1.0, locality="local"), phase=ann.Parameter(0.0, locality="local")
            ),
            equations="r = 0.5 + 0.5 * sin(omega * t + phase)",
        ),
    )
    rng = np.random.default_rng(seed)
    inp.omega = rng.uniform(0.01, 0.1, n)
    inp.phase = rng.uniform(0.0, 2 * np.pi, n)
    res = net.create(
        n,
        ann.Neuron(
            parameters=dict(tau=10.0), equations=["tau * dx/dt + x = sum(in) + sum(rec)", "r = tanh(x)"]
        ),
    )
    net.connect(res, res, "rec").all_to_all(ann.Normal(0.0, 1.5 / np.sqrt(n), rng=net.default_rng))
    net.connect(inp, res, "in").fixed_probability(0.1, ann.Uniform(-0.2, 0.2, rng=net.default_rng))
    return net, net.monitor(res[:10], "r")


def _module(build) -> object:
    import nnc.api.build as b

    captured = []
    saved = b._engine

    def capture(net, module, *args, **kwargs):
        captured.append(module)
        raise KeyboardInterrupt

    b._engine = capture
    try:
        build()[0].compile()
    except KeyboardInterrupt:
        pass
    finally:
        b._engine = saved
    return captured[0]


def compile_figures(repeats: int) -> dict:
    """CPU path vs PTX path compile seconds (medians)."""
    from nnc.backend.abi import layout_of
    from nnc.backend.llvm.engine import _build_object
    from nnc.backend.llvm.jit import host_target
    from nnc.backend.ptx.emit import compile_ptx, ptxas, ptxas_path
    from nnc.backend.ptx.lower import Flavour, build_gpu_module
    from nnc.options import CompileOptions

    out = {}
    for name, build in (("rate_net", rate_net), ("coba_4000", lambda: coba(4000))):
        module = _module(build)
        cpu, ptx, asm = [], [], []
        for _ in range(repeats):
            t0 = time.perf_counter()
            _build_object(module, CompileOptions(precision=module.precision, dt=module.dt), host_target(), {})
            cpu.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            text = compile_ptx(build_gpu_module(module, layout_of(module), Flavour.NVPTX), "sm_80").text
            ptx.append(time.perf_counter() - t0)
            if ptxas_path():
                t0 = time.perf_counter()
                ptxas(text, "sm_80")
                asm.append(time.perf_counter() - t0)
        out[name] = {
            "cpu_path_s": statistics.median(cpu),
            "ptx_path_s": statistics.median(ptx),
            "ptx_over_cpu": statistics.median(ptx) / statistics.median(cpu),
            "ptxas_s": statistics.median(asm) if asm else None,
            "ptx_lines": len(text.splitlines()),
        }
    return out


def _cuda(emulate: bool) -> dict:
    return {"device": "emulate"} if emulate else {"device": 0}


def coba_figures(n: int, duration: float, cpu_duration: float, threads: int, emulate: bool) -> dict:
    """COBA scaled to ``n`` neurons on the GPU, and the CPU for ``cpu_duration``."""
    out: dict = {"neurons": n, "duration_ms": duration}
    net, _, mon = coba(n)
    t0 = time.perf_counter()
    net.config(paradigm="cuda")
    net.compile(cuda_config=_cuda(emulate), clean=True)
    out["compile_s"] = time.perf_counter() - t0
    out["device"] = getattr(net._runtime.engine.device, "name", "?")  # type: ignore[union-attr]
    out["synapses"] = int(sum(len(np.concatenate(p.pre_ranks)) for p in net.get_projections()))
    t0 = time.perf_counter()
    net.simulate(duration)
    out["gpu_simulate_s"] = time.perf_counter() - t0
    spikes = mon.get("spike")
    total = sum(len(v) for v in spikes.values())
    out["spikes"] = total
    out["mean_rate_hz"] = total / n / (duration / 1000.0)
    out["gpu_events_per_s"] = total * out["synapses"] / n / out["gpu_simulate_s"]
    if cpu_duration > 0:
        net2, _, _ = coba(n)
        net2.config(num_threads=threads)
        net2.compile(clean=True)
        t0 = time.perf_counter()
        net2.simulate(cpu_duration)
        cpu_s = time.perf_counter() - t0
        out["cpu_threads"] = threads
        out["cpu_simulate_s_per_ms"] = cpu_s / cpu_duration
        out["gpu_simulate_s_per_ms"] = out["gpu_simulate_s"] / duration
        out["cpu_over_gpu"] = out["cpu_simulate_s_per_ms"] / out["gpu_simulate_s_per_ms"]
    return out


def rate_figures(steps: int, threads: int, emulate: bool) -> dict:
    """The rate network on the GPU and the CPU."""
    out: dict = {"steps": steps}
    runs = {}
    for where in ("gpu", "cpu"):
        net, mon = rate_net()
        if where == "gpu":
            net.config(paradigm="cuda")
        else:
            net.config(num_threads=threads)
        t0 = time.perf_counter()
        net.compile(cuda_config=_cuda(emulate), clean=True)
        out[f"{where}_compile_s"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        net.simulate(float(steps))
        out[f"{where}_simulate_s"] = time.perf_counter() - t0
        runs[where] = mon.get("r")
    out["cpu_over_gpu"] = out["cpu_simulate_s"] / out["gpu_simulate_s"]
    out["equal_bits"] = bool(np.array_equal(runs["gpu"], runs["cpu"]))
    out["max_abs_difference"] = float(np.max(np.abs(runs["gpu"] - runs["cpu"])))
    return out


def _timed_runs(nets: dict[str, ann.Network], duration: float, repeats: int) -> dict[str, float]:
    """Median seconds of ``duration`` ms of each network, the variants alternated run after run."""
    times: dict[str, list[float]] = {k: [] for k in nets}
    for _ in range(repeats):
        for name, net in nets.items():
            t0 = time.perf_counter()
            net.simulate(duration)
            times[name].append(time.perf_counter() - t0)
    return {k: statistics.median(v) for k, v in times.items()}


def choice_figures(n: int, duration: float, rate_steps: int, repeats: int, emulate: bool) -> dict:
    """Atomic vs deterministic delivery (COBA) and 8 threads vs one thread per dendrite (rate network)."""
    out: dict = {"neurons": n, "duration_ms": duration, "repeats": repeats}
    nets, mons = {}, {}
    for name, extra in (("atomic", {}), ("deterministic", {"deterministic": True})):
        net, _, mon = coba(n)
        net.config(paradigm="cuda")
        net.compile(cuda_config={**_cuda(emulate), **extra}, clean=True)
        net.simulate(10.0)  # warm-up: graph capture, first uploads
        nets[name], mons[name] = net, mon
    seconds = _timed_runs(nets, duration, repeats)
    out["coba_s"] = seconds
    out["coba_deterministic_over_atomic"] = seconds["deterministic"] / seconds["atomic"]
    out["coba_spikes"] = {k: sum(len(v) for v in m.get("spike").values()) for k, m in mons.items()}
    nets, mons = {}, {}
    for name, lanes in (("lanes", True), ("thread", False)):
        net, mon = rate_net()
        net.config(paradigm="cuda")
        net.compile(cuda_config={**_cuda(emulate), "sum_lanes": lanes}, clean=True)
        net.simulate(1.0)
        nets[name], mons[name] = net, mon
    seconds = _timed_runs(nets, float(rate_steps), repeats)
    out["rate_s"] = seconds
    out["rate_lanes_over_thread"] = seconds["lanes"] / seconds["thread"]
    out["rate_equal_bits"] = bool(np.array_equal(mons["lanes"].get("r"), mons["thread"].get("r")))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", default="compile,coba,rate,choices")
    parser.add_argument("--choice-duration", type=float, default=200.0)
    parser.add_argument("--neurons", type=int, default=100_000)
    parser.add_argument("--duration", type=float, default=1000.0)
    parser.add_argument("--cpu-duration", type=float, default=20.0)
    parser.add_argument("--cpu-threads", type=int, default=1)
    parser.add_argument("--rate-steps", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--emulate", action="store_true", help="run the GPU parts on the host emulation")
    args = parser.parse_args()
    parts = args.parts.split(",")
    result: dict = {"python": sys.version.split()[0], "emulate": args.emulate}
    for part, run in (
        ("compile", lambda: compile_figures(args.repeats)),
        (
            "coba",
            lambda: coba_figures(
                args.neurons, args.duration, args.cpu_duration, args.cpu_threads, args.emulate
            ),
        ),
        ("rate", lambda: rate_figures(args.rate_steps, args.cpu_threads, args.emulate)),
        (
            "choices",
            lambda: choice_figures(
                args.neurons, args.choice_duration, args.rate_steps, args.repeats, args.emulate
            ),
        ),
    ):
        if part not in parts:
            continue
        try:
            result[part] = run()
        except Exception as e:
            result[part] = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps({part: result[part]}), file=sys.stderr, flush=True)
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
