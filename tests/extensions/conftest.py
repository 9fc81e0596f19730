"""The extension tests use the shared network fixtures."""

from network_fixtures import _isolated, engine, make_net, workdir  # noqa: F401 - fixtures
