"""ratio2d: an affine map of 2D points seen only through the ratio nx/ny (docs/math.md
s.2).  This is its card; the model is in model.py, loaded on first use."""

from ..card import CAMERA_SETTINGS, ModelCard

CARD = ModelCard(
    name="ratio2d",
    module="ratio2d.model",
    summary="Fit a 2D affine map seen through a ratio nx/ny (x, y, ratio).",
    description="""The map (nx, ny) = [[a, b, t1], [c, d, t2]] (x, y, 1) is observed only through
    ratio = nx / ny.  FILE has columns x, y, ratio.  This is a 1D projective camera: one image coordinate
    of a plane homography.  Prints the 2x3 matrix (unit norm) and the RMS ratio error.""",
    columns=("x", "y", "ratio"),
    inits=("dlt", "identity", "random"),
    init_help="Start: dlt (closed-form linear estimate), identity or random.",
    synth_settings=CAMERA_SETTINGS,
)

