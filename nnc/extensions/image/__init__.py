"""Images and video frames as rates of a population (API.md §10): ``ImagePopulation``, ``VideoPopulation``.

``ImagePopulation`` reads image files with Pillow, ``VideoPopulation`` camera frames with OpenCV; both are
optional packages of the ``image`` extra (``pip install 'nnc-sim[image]'``), imported when first needed:
a missing one raises an error naming the extra. Import them as scripts written for the reference do
(``from ANNarchy.extensions.image import ImagePopulation`` becomes
``from nnc.extensions.image import ImagePopulation``).
"""

from nnc.extensions.image.populations import ImagePopulation, VideoPopulation

__all__ = ["ImagePopulation", "VideoPopulation"]
