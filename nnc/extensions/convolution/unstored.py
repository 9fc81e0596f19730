"""What projections without stored synapses of their own (convolution, pooling, copies, transposes) do
where an ordinary projection saves, loads or displays its synapses: warn, as the reference does."""

from __future__ import annotations


class Unstored:
    """Mixin of such projections: the file and display methods warn instead of acting; ``net.save()``
    keeps their names and no synapses. ``_unavailable_name`` names the kind in the warning."""

    _unavailable_name = "Shared"

    def _not_available(self, what: str) -> None:
        self._warn(f"{self._unavailable_name} projections can not {what}.")  # type: ignore[attr-defined]

    def save_connectivity(self, filename: str) -> None:
        """Not available (as in the reference: a warning)."""
        self._not_available("be saved")

    def save(self, filename: str) -> None:
        """Not available (as in the reference: a warning)."""
        self._not_available("be saved")

    def load(self, filename: str, pickle_encoding: str | None = None) -> None:
        """Not available (as in the reference: a warning)."""
        self._not_available("be loaded")

    def receptive_fields(self, variable: str = "w", in_post_geometry: bool = True) -> None:
        """Not available (as in the reference: a warning)."""
        self._not_available("display receptive fields")

    def connectivity_matrix(self, fill: float = 0.0) -> None:
        """Not available (as in the reference: a warning)."""
        self._not_available("display connectivity matrices")

    def _saved_post_ranks(self) -> list[int]:
        return list(self.post_ranks)  # type: ignore[attr-defined]

    def _data(self) -> dict[str, object]:
        """What ``net.save()`` keeps: names, no synapses (as the reference)."""
        return {
            "post_ranks": self._saved_post_ranks(),
            "attributes": self.attributes,  # type: ignore[attr-defined]
            "parameters": self.parameters,  # type: ignore[attr-defined]
            "variables": self.variables,  # type: ignore[attr-defined]
            "dendrites": [],
            "number_of_synapses": 0,
        }
