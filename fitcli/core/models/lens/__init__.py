"""The parametric camera (docs/math.md s.7): project3d's variant with K, R, t and lens
distortion in the OpenCV convention, chosen by project3d's options `distortion`, `skew`
and `intrinsics` (project3d.model.Project3d.variant).  It has no card of its own: it is
project3d, fitted as a camera instead of a free 3x4 matrix."""
