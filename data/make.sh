#!/bin/sh
# Remakes every sample file in this folder from its known model (run from the repository root).
set -e
fitcli synth project3d --n 300 --noise 0.5 --seed 1 -o data/project3d.csv --truth data/project3d.truth.json
fitcli synth project3d --n 300 --noise 0 --seed 2 -o data/project3d_exact.csv --truth data/project3d_exact.truth.json
fitcli synth ratio2d --n 300 --noise 0.5 --seed 3 -o data/ratio2d.csv --truth data/ratio2d.truth.json
fitcli synth ratio2d --n 300 --noise 0 --seed 4 -o data/ratio2d_exact.csv --truth data/ratio2d_exact.truth.json
fitcli synth linear-tanh --n 300 --noise 1 --seed 5 -o data/linear_tanh.csv --truth data/linear_tanh.truth.json
fitcli synth linear-tanh --n 300 --gap 3 --seed 6 -o data/linear_tanh_separated.csv --truth data/linear_tanh_separated.truth.json
fitcli synth project3d --n 300 --noise 0.5 --seed 7 --k1 -0.25 --k2 0.08 --p1 0.002 --p2 -0.001 -o data/project3d_lens.csv --truth data/project3d_lens.truth.json
fitcli synth homography --n 300 --noise 0.5 --seed 8 -o data/homography.csv --truth data/homography.truth.json
