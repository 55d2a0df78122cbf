#!/usr/bin/env bash
# run.sh — the paper-scale benchmark (README.md here): builds the Fashion-MNIST stand-in store,
# the paper's grids at the 4 fmnist tasks (16 of the 48 voters), runs a stated sample of each
# with `mpirun -np 2`, extrapolates with project.py, runs the demo-sized named-strategy grid in
# full, and prints the table.  usage: bench/paper-scale/run.sh [WORKDIR]   (default build/paper-scale)
set -euo pipefail
cd "$(dirname "$0")/../.."
W=${1:-build/paper-scale}; IMPRINT=${IMPRINT:-build/release/imprint}; J=$W/jobs
mkdir -p "$W"
if [ "$(id -u)" = 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_btl=self,vader HDF5_USE_FILE_LOCKING=FALSE
# 70,000 rows x (512 + 2048 + 768 + 1024) floats: 1.2 GB on disk
[ -f "$W/paper.h5" ] || $IMPRINT ingest fashion-mnist --store "$W/paper.h5" --model randfeat:512:1 \
  --model randfeat:2048:2 --model randfeat:768:3 --model randfeat:1024:4
[ -f "$W/pixels.h5" ] || $IMPRINT ingest fashion-mnist --store "$W/pixels.h5" --model pixels
bench/paper-scale/make_jobs.sh "$W/paper.h5" "$J"
sed -i "s|^store: .*|store: $(realpath "$W/pixels.h5")|" "$J/demo-named.yaml"

# sweep JOB LOG: mpirun -np 2, whole-process wall seconds and the largest rank's peak RSS
sweep() {
  /usr/bin/time -f 'TIME %e %M' -o "$2.time" mpirun -np 2 --oversubscribe $IMPRINT sweep "$1" \
    --threads 1 --fresh --quiet > "$2" 2>&1 || true
}
plan_field() { $IMPRINT plan "$1" --json | python3 -c "import json,sys; print(json.load(sys.stdin)['$2'])"; }

rows=()
total_proj=0
for g in aggfixed aggfocus fig6 fewshot; do
  # the sample: every model and strategy, the task fmnist-short (3 classes) and the first seed;
  # fig6 and few-shot run on fmnist-all only: their sample swaps it for fmnist-short
  swap='s/- {name: fmnist-all, dataset: fmnist, classes: all}$/- {name: fmnist-short, dataset: fmnist, classes: [0, 1, 2]}/'
  if grep -q 'fmnist-short' "$J/$g.yaml"; then classes=10,5,5,3; swap='s/^$//'; else classes=10; fi
  sed -e "s|cube: \(.*\)/$g.h5|cube: \1/$g-sample.h5|" -e "$swap" \
      -e '/- {name: fmnist-\(all\|even\|odd\),/d' \
      -e 's/^seeds: \[\([0-9]*\),.*/seeds: [\1]/' "$J/$g.yaml" > "$J/$g-sample.yaml"
  seeds=$(grep -c . <<<"$(sed -n 's/^seeds: \[\(.*\)\]/\1/p' "$J/$g.yaml" | tr ',' '\n')")
  # REUSE=1 keeps a finished sample (its .time file) instead of running it again
  [ "${REUSE:-0}" = 1 ] && [ -f "$W/$g-sample.log.time" ] || sweep "$J/$g-sample.yaml" "$W/$g-sample.log"
  read -r swall srss < <(sed -n 's/^TIME //p' "$W/$g-sample.log.time")
  $IMPRINT export "$J/$g-sample.h5" --csv "$W/$g-sample.csv" >/dev/null 2>&1
  proj=$(python3 bench/paper-scale/project.py "$W/$g-sample.csv" --seeds "$seeds" --sample-classes 3 \
         --classes "$classes" --label "$g" | tee "$W/$g-project.txt" | sed -n 's/^PROJECTED_CORE_SECONDS //p')
  scells=$(plan_field "$J/$g-sample.yaml" valid_cells)
  runs=$(plan_field "$J/$g.yaml" valid_cells); gens=$(plan_field "$J/$g.yaml" gen_computations)
  # projected wall on 2 ranks: core-seconds / 2 x the sample's own overhead (wall x 2 / core-s)
  score=$(python3 -c "
import csv; t=0
for r in csv.DictReader(open('$W/$g-sample.csv')):
    if r['status']=='done': t+=float(r['inf_seconds'])
seen=set()
for r in csv.DictReader(open('$W/$g-sample.csv')):
    if r['status']=='done':
        k=(r['model'],r['strategy'].split('/')[0],r['strategy'].split('/')[1],r['k'],r['shot'])
        if k not in seen: seen.add(k); t+=float(r['gen_seconds'])
print(t)")
  wall=$(python3 -c "print($proj / 2 * max(1.0, $swall * 2 / max($score, 1e-9)))")
  rows+=("$(printf '%-9s %8s %6s  sample %5s cells %7.0f s %5.0f MB | projected %7.2f h %8.1f runs/s  48 voters <= %6.2f h' \
    "$g" "$runs" "$gens" "$scells" "$swall" "$((srss / 1024))" "$(python3 -c "print($wall/3600)")" \
    "$(python3 -c "print($runs/$wall)")" "$(python3 -c "print(3*$wall/3600)")")")
  total_proj=$(python3 -c "print($total_proj + 3*$wall)")
done

sweep "$J/demo-named.yaml" "$W/demo-named.log"
read -r dwall drss < <(sed -n 's/^TIME //p' "$W/demo-named.log.time")
dcells=$(plan_field "$J/demo-named.yaml" valid_cells)

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "grid      runs(16v)  GEN   sample (fmnist-short, 1 seed): cells, wall, peak RSS/rank | projection at 16 voters, and 48"
for r in "${rows[@]}"; do echo "$r"; done
printf 'demo-named %6s cells in %.1f s wall (full run, mpirun -np 2), %.0f MB peak per rank\n' "$dcells" "$dwall" "$((drss / 1024))"
# 351,060 = aggfixed 42,336 + aggfocus 300,528 + fig6 1,836 + fewshot 4,200 at 48 voters + 2,160
# subsec3 non-ImageNet runs, projected at the average rate of the other 348,900
python3 - "$total_proj" <<'PY'
import sys
tot = float(sys.argv[1])
print(f'351,060 runs projected in {tot / 3600 * 351060 / (351060 - 2160):.1f} hours on this 2-core machine')
PY
