"""project3d's camera with lens distortion and the homography against OpenCV, in one run.

    python benchmarks/lens.py            # the full run (a million points): about a minute
    python benchmarks/lens.py --quick    # n up to 20,000, to check the script

Needs the `bench` extra's opencv-python-headless (a benchmark peer, never a dependency
of fitcli).  Sections:

1. One view of a few hundred points: fitcli's fit of the camera with OpenCV's
   distortion model (k1, k2, k3, p1, p2, zero skew) against cv2.calibrateCamera on the
   same points, given the intrinsic guess it needs for a non-planar rig (f = the image
   width, the principal point at the centre); fitcli needs none (its DLT starts it).
   Times are medians of the two timed in turn; losses are the mean squared point error,
   OpenCV's computed from its camera by cv2.projectPoints.
2. The distortion model against today's pinhole (3x4) fit on the same points, up to a
   million.
3. The real views (../shared/realdata): the pinhole and the distortion camera side by
   side with the report's model-choice evidence.
4. The chessboards: fitcli homography per image against cv2.findHomography (method 0:
   DLT then Levenberg-Marquardt on the reprojection error) on the same corners.

A full run writes what it prints to benchmarks/lens_results.md.
"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import compiled, machine, stopwatch, table, timed_pair  # noqa: E402

from fitcli.core import fit  # noqa: E402
from fitcli.core.models import MODELS  # noqa: E402
from fitcli.core.synth import synthesize  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LENS = dict(k1=-0.25, k2=0.08, p1=0.002, p2=-0.001)
OPENCV = dict(distortion="k1,k2,k3,p1,p2", skew="zero")  # calibrateCamera's default model
TIE = 1e-12  # relative difference of two sums of squares below which neither is lower


def arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--realdata", type=Path, default=ROOT.parent / "shared" / "realdata")
    parser.add_argument("--results", type=Path, default=None)
    return parser.parse_args()


def read_view(path: Path):
    d = np.loadtxt(path, delimiter=",", skiprows=1)
    return np.ascontiguousarray(d[:, :3]), np.ascontiguousarray(d[:, 3:5])


def opencv_calibrate(X, uv, size):
    """cv2.calibrateCamera on one view with the usual intrinsic guess; its camera."""
    import cv2

    w, h = size
    K0 = np.array([[float(w), 0.0, w / 2.0], [0.0, float(w), h / 2.0], [0.0, 0.0, 1.0]])
    X32, uv32 = X.astype(np.float32), uv.astype(np.float32)

    def run():
        return cv2.calibrateCamera([X32], [uv32], (int(w), int(h)), K0.copy(), None,
                                   flags=cv2.CALIB_USE_INTRINSIC_GUESS)
    return run


def opencv_loss(camera, X, uv) -> float:
    import cv2

    _, K, dist, rvecs, tvecs = camera
    projected, _ = cv2.projectPoints(X, rvecs[0], tvecs[0], K, dist)
    d = projected.reshape(-1, 2) - uv
    return float(np.mean(np.einsum("ij,ij->i", d, d)))


def single_view(views, repeat):
    rows = []
    for name, (X, uv), size in views:
        f = stopwatch(lambda: fit("project3d", (X, uv), **OPENCV))
        g = stopwatch(opencv_calibrate(X, uv, size))
        t_f, result, t_g, camera = timed_pair(f, g, repeat)
        loss_g = opencv_loss(camera, X, uv)
        rows.append([name, len(X), t_f * 1e3, t_g * 1e3, f"{t_g / t_f:.2f}x", f"{result.cost:.10g}",
                     f"{loss_g:.10g}", f"{result.cost / loss_g - 1:+.1e}", result.n_eval])
        print(f"... {name} done", file=sys.stderr)
    return table(["data", "n", "fitcli ms", "opencv ms", "opencv/fitcli", "fitcli loss",
                  "opencv loss", "loss ratio - 1", "fitcli passes"], rows,
                 "One view, OpenCV's distortion model (k1 k2 k3 p1 p2, zero skew): fitcli's fit against "
                 "cv2.calibrateCamera (intrinsic guess f = width, centre); medians, timed in turn")


def against_pinhole(sizes, repeat):
    rows = []
    for n in sizes:
        s = synthesize("project3d", seed=1, n=n, noise=0.5, **LENS)
        X, uv = np.ascontiguousarray(s.table[:, :3]), np.ascontiguousarray(s.table[:, 3:])
        reps = repeat if n < 100000 else 3
        f = stopwatch(lambda: fit("project3d", (X, uv)))
        g = stopwatch(lambda: fit("project3d", (X, uv), **OPENCV))
        t_f, pin, t_g, lens = timed_pair(f, g, reps)
        rows.append([n, t_f * 1e3, t_g * 1e3, f"{t_g / t_f:.2f}x", pin.n_eval, lens.n_eval,
                     f"{pin.cost:.6g}", f"{lens.cost:.6g}"])
        print(f"... n={n} done", file=sys.stderr)
    return table(["n", "pinhole ms", "distortion ms", "distortion/pinhole", "pinhole passes",
                  "distortion passes", "pinhole loss", "distortion loss"], rows,
                 "The distortion camera against today's 3x4 fit on the same points (drawn through "
                 "k1 -0.25, k2 0.08, p1 0.002, p2 -0.001)")


def model_choice(realdata: Path):
    from fitcli.core.models.lens.choice import model_choice as choose

    rows = []
    for folder in ("oxford_house", "oxford_merton1"):
        for path in sorted((realdata / folder).glob("view*.csv")):
            data = read_view(path)
            model = MODELS["project3d"].variant(distortion="k1,k2")
            result = fit(model, data)
            c = choose(model, result, data).content
            pin, lens = c["models"]
            rows.append([f"{folder[7:]}/{path.stem}", len(data[0]), f"{pin['rms']:.4f}",
                         f"{lens['rms']:.4f}", f"{pin['sigma_estimate']:.4f}",
                         f"{lens['sigma_estimate']:.4f}", f"{c['test']['p_value']:.2g}",
                         f"{lens['bic'] - pin['bic']:+.1f}", "yes" if c["test"]["supported"] else "no",
                         result.extra["mirror"]])
    return table(["view", "n", "RMS pinhole", "RMS k1,k2", "sigma pinhole", "sigma k1,k2",
                  "F-test p", "BIC k1,k2 - pinhole", "supported", "mirror"], rows,
                 "Real views: the pinhole (11 parameters) beside the camera with k1, k2 (13), "
                 "the report's model-choice evidence (RMS point error, px)")


def homographies(realdata: Path):
    import cv2

    rows, wins = [], 0
    for path in sorted((realdata / "opencv_chessboard").glob("*_uv.csv")):
        d = np.loadtxt(path, delimiter=",", skiprows=1)
        xy, uv = np.ascontiguousarray(d[:, :2]), np.ascontiguousarray(d[:, 2:])
        result = fit("homography", (xy, uv))
        H, _ = cv2.findHomography(xy, uv, 0)
        peer = MODELS["homography"].residuals(H.ravel() / np.linalg.norm(H), xy, uv)
        ss_f, ss_g = result.cost * len(xy), float(peer @ peer)
        wins += ss_f <= ss_g * (1 + TIE)
        close = abs(ss_f / ss_g - 1) < TIE
        rows.append([path.stem[:-3], len(xy), f"{ss_f:.10g}", f"{ss_g:.10g}", f"{ss_f / ss_g - 1:+.2e}",
                     "tie" if close else ("fitcli" if ss_f < ss_g else "opencv")])
    return table(["image", "n", "fitcli SS", "findHomography SS", "ratio - 1", "lower"], rows,
                 f"Chessboards: the whole homography, geometric error (sum of squared point errors, "
                 f"px^2) of fitcli homography and cv2.findHomography(method 0); fitcli lower or "
                 f"equal (within {TIE:g} relative, the rounding of the sums) on {wins} of {len(rows)}")


def main():
    args = arguments()
    compiled()
    import cv2

    out = [machine() + f"; opencv {cv2.__version__}", ""]
    views = []
    for n in (300, 500):
        s = synthesize("project3d", seed=1, n=n, noise=0.5, **LENS)
        views.append(("synthetic k1 k2 p1 p2", (np.ascontiguousarray(s.table[:, :3]),
                                                 np.ascontiguousarray(s.table[:, 3:])), (1920, 1080)))
    if (args.realdata / "oxford_merton1").is_dir():
        for v in ("001", "002", "003"):
            views.append((f"merton1/view{v}", read_view(args.realdata / "oxford_merton1" / f"view{v}.csv"),
                          (1024, 768)))
        views.append(("house/view000 (left-handed)",
                      read_view(args.realdata / "oxford_house" / "view000.csv"), (768, 576)))
    out += [single_view(views, args.repeat), ""]
    out += [against_pinhole((1000, 20000) if args.quick else (1000, 100000, 1000000), args.repeat), ""]
    if (args.realdata / "oxford_house").is_dir():
        out += [model_choice(args.realdata), "", homographies(args.realdata)]
    text = "\n".join(out)
    print(text)
    path = args.results or (None if args.quick else ROOT / "benchmarks" / "lens_results.md")
    if path is not None:
        command = "python benchmarks/lens.py" + (" --quick" if args.quick else "")
        path.write_text(f"# Camera models and the homography against OpenCV\n\nThe output of `{command}` "
                        f"on {datetime.date.today().isoformat()} (how it measures: the script's "
                        f"docstring).\n\n```text\n{text}\n```\n")


if __name__ == "__main__":
    main()
