"""A small spiking network for the golden dumps: LIF neurons with refractoriness and conductances, a
Poisson input through STDP, a spike source array through per-synapse delays, STP, and a spike monitor."""

import nnc as ann

net = ann.Network(dt=0.5, seed=11)
lif = ann.Neuron(
    parameters=dict(tau=20.0, Vt=-50.0, Vr=-60.0, El=-60.0, I=5.0),
    equations=[
        "tau * dv/dt = El - v + g_exc * (0.0 - v) + g_inh * (-80.0 - v) + I",
        "5.0 * dg_exc/dt = -g_exc",
    ],
    spike="v > Vt",
    reset="v = Vr",
    refractory=2.0,
)
cells = net.create(20, lif, name="cells")
inputs = net.create(ann.PoissonPopulation(50, rates=20.0, name="inputs"))
source = net.create(ann.SpikeSourceArray([[1.0, 4.0], [2.5]], name="source"))
stdp = net.connect(inputs, cells, "exc", synapse=ann.STDP(w_max=0.1), name="stdp")
stdp.fixed_probability(0.5, weights=0.05)
delayed = net.connect(source, cells[:5], "inh", name="delayed")
delayed.all_to_all(weights=1.0, delays=ann.Uniform(0.5, 3.0, rng=net.default_rng))
stp = net.connect(cells, cells, "exc", synapse=ann.STP(), name="stp")
stp.fixed_number_pre(4, weights=0.2)
net.monitor(cells, "spike")
net.compile()
