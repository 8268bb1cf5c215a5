"""Motion → face geometry (differentiable, batched), errors in millimetres, and rendering.

``FaceGeometry.for_format(format, channels, rig=..., flame_model=...)`` is the one entry point;
``ArkitGeometry`` (blendshape rigs, ``rig.py``; default face: ``rig_choice.py``) and ``FlameGeometry`` (``flame.py``) implement it.
Rendering lives in ``tdmm_lm.geometry.render`` (imported on demand: it pulls in PIL/matplotlib).
"""

from tdmm_lm.geometry.arkit import ArkitGeometry
from tdmm_lm.geometry.base import FaceGeometry
from tdmm_lm.geometry.flame import FlameGeometry, make_synthetic_flame_model
from tdmm_lm.geometry.metrics import neutral_displacement, vertex_error
from tdmm_lm.geometry.rig import BlendshapeRig, load_rig
from tdmm_lm.geometry.rig_choice import resolve_rig

__all__ = ["ArkitGeometry", "BlendshapeRig", "FaceGeometry", "FlameGeometry", "load_rig",
           "make_synthetic_flame_model", "neutral_displacement", "resolve_rig", "vertex_error"]
