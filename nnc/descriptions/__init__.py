"""Model descriptions as users write them: ``Neuron``, ``Synapse``, ``Parameter``, ``Variable``,
``Creating``, ``Pruning`` and the Python-side random distributions.

They sit below both the frontend (which analyses them into IR models) and the API (which passes them
around), so that neither the frontend nor the IR depends on the user-facing network objects.
"""
