"""homography: the whole plane homography (x, y) -> (u, v), one shared third row
(docs/math.md s.8).  This is its card; the model is in model.py, loaded on first use."""

from ..card import CAMERA_SETTINGS, ModelCard

CARD = ModelCard(
    name="homography",
    module="homography.model",
    summary="Fit a plane homography to 2D-2D correspondences (x, y, u, v).",
    description="""FILE has columns x, y, u, v: points of a plane (a chessboard's corners, in its
    own units) and where an image shows them.  (u, v) = (h11 x + h12 y + h13, h21 x + h22 y
    + h23) / (h31 x + h32 y + h33): 8 degrees of freedom, one denominator for both image
    coordinates.  Minimises the mean squared distance in the image (the geometric error
    in u and v, as OpenCV's findHomography refines it); prints the 3x3 matrix with unit
    norm and w = h31 x + h32 y + h33 > 0 for most points, and the RMS point error.""",
    columns=("x", "y", "u", "v"),
    inits=("dlt", "identity", "random"),
    init_help="Start: dlt (closed-form linear estimate), identity or random.",
    synth_settings=CAMERA_SETTINGS,
)
