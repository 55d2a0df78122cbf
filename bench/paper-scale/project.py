#!/usr/bin/env python3
"""project.py — extrapolate a sampled sweep to its full grid (bench/paper-scale/README.md).

usage: project.py SAMPLE.csv --seeds S --sample-classes C0 --classes C1,C2,... [--label L]

SAMPLE.csv is `imprint export` of a sweep over the sample job: the full grid's models and
strategies on ONE task with C0 classes and ONE seed. Every GEN computation of the full grid
is one of the sample's (same model, PRE, GEN, k, shot) on another task and/or seed, so:
  * seeds: a GEN that draws random numbers (kmeans, random, fps, kls with k != 1, every GEN
    at a shot) runs once per seed, the others once for all seeds (the sweep shares them);
  * tasks: with n rows per class fixed (fmnist: 6,000), GEN work is linear in the classes C
    (mean, all, kmeans, kmedoids, covmax, fps per class; ls/kls: C·n·d² + d³, d³ small) and
    inference is T·P·d with T and P both linear in C, so it scales with C².
Projected core-seconds = sum over tasks of GEN·(C/C0) + INF·(C/C0)², seed multipliers applied.
"""
import argparse
import csv
import collections


def seeded(gen, k, shot):
    return shot != 'all' or gen in ('kmeans', 'random', 'fps') or (gen == 'kls' and k != '1')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('csv')
    ap.add_argument('--seeds', type=int, required=True)
    ap.add_argument('--sample-classes', type=float, required=True)
    ap.add_argument('--classes', required=True)
    ap.add_argument('--label', default='')
    a = ap.parse_args()
    classes = [float(c) for c in a.classes.split(',')]
    gen_t = {}  # one entry per GEN computation: (model, pre, gen, k, shot) -> seconds
    inf = collections.defaultdict(float)
    cells = collections.Counter()
    for r in csv.DictReader(open(a.csv)):
        if r['status'] != 'done':
            continue
        s = r['strategy']
        pre, gen = s.split('/')[:2]
        key = (r['model'], pre, gen, r['k'], r['shot'])
        gen_t[key] = float(r['gen_seconds'])
        inf[key] += float(r['inf_seconds'])
        cells[key] += 1
    tot = collections.defaultdict(float)
    gsum = isum = 0.0
    for key in gen_t:
        mult = a.seeds if seeded(key[2], key[3], key[4]) else 1
        g = gen_t[key] * mult * sum(c / a.sample_classes for c in classes)
        i = inf[key] * mult * sum((c / a.sample_classes) ** 2 for c in classes)
        tot[key[2]] += g + i
        gsum += g
        isum += i
    print(f'{a.label} sample: {len(gen_t)} GEN computations, {sum(cells.values())} cells, '
          f'{sum(gen_t.values()):.1f} s GEN + {sum(inf.values()):.1f} s inference (core-seconds)')
    print(f'{a.label} projected: {gsum:.0f} s GEN + {isum:.0f} s inference = '
          f'{(gsum + isum) / 3600:.2f} core-hours; by GEN: ' +
          ', '.join(f'{g} {t / 3600:.2f}' for g, t in sorted(tot.items(), key=lambda x: -x[1])))
    print(f'PROJECTED_CORE_SECONDS {gsum + isum:.0f}')


if __name__ == '__main__':
    main()
