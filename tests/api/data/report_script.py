"""The network of tests/api/test_report.py, written for both simulators.

report_reference.md next to this file is the reference's output, made with ANNarchy 5.0.4.1:
    python report_script.py ANNarchy report_reference.md
(``python report_script.py nnc out.md`` writes nnc's).
"""

import importlib
import sys


def build(ann):  # ann: either simulator's module
    rate = ann.Neuron(
        parameters="""
            tau = 10.0 : population
            baseline = 0.5
        """,
        equations="""
            tau * dv/dt + v = sum(exc) - sum(inh) + baseline
            r = pos(v) : max=2.0
        """,
        name="Rate",
        description="A rate-coded neuron.",
    )
    learn = ann.Synapse(
        parameters="eta = 0.1 : projection",
        equations="dw/dt = eta * pre.r * post.r : min=0.0",
        name="Learn",
        description="Hebbian learning.",
    )
    net = ann.Network(dt=0.25)
    net.constant("k_gain", 3.0)
    a = net.create((3, 4), rate, name="area_a")
    b = net.create(5, rate, name="b")
    p1 = net.connect(a, b, "exc", learn, name="ab")
    p1.fixed_number_pre(4, ann.Normal(0.5, 0.1), delays=2.0)
    p2 = net.connect(b, b, "inh")
    p2.all_to_all(0.25)
    p3 = net.connect(b, a, "exc")
    p3.fixed_number_post(2, 1.0)
    b.baseline = 1.5
    net.monitor(b, "r", period=1.0)
    return net


if __name__ == "__main__":
    simulator = importlib.import_module(sys.argv[1])
    simulator.report(build(simulator), sys.argv[2])
