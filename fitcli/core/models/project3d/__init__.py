"""project3d: a 3x4 perspective projection fitted to 3D-2D correspondences (docs/math.md
s.3).  This is its card; the model is in model.py, loaded on first use."""

from ..card import CAMERA_SETTINGS, ModelCard

CARD = ModelCard(
    name="project3d",
    module="project3d.model",
    summary="Fit a 3x4 camera matrix to 3D-2D correspondences (X, Y, Z, u, v).",
    description="""FILE has columns X, Y, Z, u, v.  Minimises the mean squared reprojection distance
    (the Gold Standard); prints the matrix with |(i, j, k)| = 1 and positive depths,
    and the RMS reprojection distance in the input's units.""",
    columns=("X", "Y", "Z", "u", "v"),
    inits=("dlt", "identity", "random"),
    init_help="Start: dlt (closed-form linear estimate), identity or random.",
    synth_settings=CAMERA_SETTINGS,
)

