#!/usr/bin/env bash
# make_jobs.sh — the paper's grids over the Fashion-MNIST stand-in store, at the four
# Fashion-MNIST tasks (16 of the paper's 48 voters): jobs/paper-*.yaml with the models replaced
# by the randfeat stand-ins and the tasks cut to fmnist. usage: make_jobs.sh STORE OUTDIR
set -euo pipefail
store=$(realpath "$1"); out=$2; src=$(dirname "$0")/../../jobs
mkdir -p "$out"
models='models: [randfeat512, randfeat2048s2, randfeat768s3, randfeat1024s4]'
for g in aggfixed aggfocus fig6 fewshot; do
  sed -e "s|^store: .*|store: $store|" -e "s|^cube: .*|cube: $(realpath "$out")/$g.h5|" \
      -e "s|^models: .*|$models|" -e '/- {name: \(mnist\|cifar10\)/d' \
      "$src/paper-$g.yaml" > "$out/$g.yaml"
done
# the demo-sized grid of the paper's named strategies (issue 9's last target): Qi, Hosoda,
# Janson, Ours, Oracle, k-LS 20 and k-means k ∈ {1, 2, 5, 10}, shots all and 10, 3 seeds, the
# 4 Fashion-MNIST pixel tasks
cat > "$out/demo-named.yaml" <<EOT
store: $store
cube: $(realpath "$out")/demo-named.h5
models: [pixels]
tasks:
  - {name: fmnist-all,   dataset: fmnist, classes: all}
  - {name: fmnist-even,  dataset: fmnist, classes: [0, 2, 4, 6, 8]}
  - {name: fmnist-odd,   dataset: fmnist, classes: [1, 3, 5, 7, 9]}
  - {name: fmnist-short, dataset: fmnist, classes: [0, 1, 2]}
strategies:
  - l2/mean/l2/l2/max                 # Qi et al.
  - none/mean/quantile/none/max       # Hosoda et al.
  - none/mean/none/none/nn:euclidean  # Janson et al.
  - l2/kmeans/l2/l2/max               # Ours (k-means, k = 1, 2, 5, 10, 20)
  - none/ls/none/none/max             # Oracle
  - none/kls/none/none/max            # k-LS (k = 20)
ks: [1, 2, 5, 10, 20]
shots: [all, 10]
seeds: [17121997, 123987, 12412312]
EOT
