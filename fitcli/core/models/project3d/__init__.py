"""project3d: a 3x4 perspective projection fitted to 3D-2D correspondences (docs/math.md
s.3), or with `distortion`, `skew zero` or `intrinsics` a parametric camera K, R, t with
lens distortion (s.7).  This is its card; the models are in model.py and lens/, loaded
on first use."""

from ..card import CAMERA_SETTINGS, ModelCard, ModelOption, SynthSetting

DISTORTION = ("k1", "k2", "k3", "p1", "p2")

OPTIONS = (
    ModelOption("distortion", None,
                "Fit a camera K, R, t with lens distortion: a comma-separated subset of "
                "k1,k2,k3,p1,p2 (OpenCV's radial k and tangential p coefficients) "
                "[default: none, the free 3x4 matrix].", DISTORTION, type=list),
    ModelOption("skew", "free",
                "free (as the 3x4 matrix has) or zero: K's skew fixed at 0, a camera K, R, t.",
                ("free", "zero")),
    ModelOption("intrinsics", None,
                "K and the distortion given: a JSON file of fx, fy, cx, cy (skew, k1, k2, k3, "
                "p1, p2 optional) or a saved project3d model; the pose alone is fitted.",
                type=dict),
)

CARD = ModelCard(
    name="project3d",
    module="project3d.model",
    summary="Fit a 3x4 camera matrix to 3D-2D correspondences (X, Y, Z, u, v).",
    description="""FILE has columns X, Y, Z, u, v.  Minimises the mean squared reprojection distance
    (the Gold Standard); prints the camera (focal lengths, principal point, skew,
    rotation and centre, each with its standard error), the RMS reprojection distance
    in the input's units and the noise estimate, then the matrix, scaled so that
    |(i, j, k)| = 1 with positive depths.  With `distortion`,
    `skew='zero'` or `intrinsics` the camera is K, R, t with lens distortion in OpenCV's
    convention, started from the DLT's K, R, t, and compared with the 3x4 fit.""",
    columns=("X", "Y", "Z", "u", "v"),
    inits=("dlt", "identity", "random"),
    init_help="Start: dlt (closed-form linear estimate), identity or random.",
    options=OPTIONS,
    synth_settings=CAMERA_SETTINGS + tuple(
        SynthSetting(k, 0.0, f"Lens distortion {k} of the sample camera (OpenCV's convention)")
        for k in DISTORTION),
)
