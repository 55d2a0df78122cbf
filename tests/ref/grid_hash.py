#!/usr/bin/python3
"""grid_hash.py — re-derive the frozen grid hash of tests/test_grid.c (test_hash): FNV-1a 64
(offset 0xcbf29ce484222325, prime 0x100000001b3) of the canonical grid text that test checks
line for line. Exit 0 = the frozen value agrees."""
import sys

canon = ("imprint-grid 1\n"
         "store data/store.h5\n"
         "model pixels\n"
         "model randfeat512\n"
         "task even datasets=fmnist classes=0,2,4 remap=none\n"
         "task combi datasets=a,b classes=all remap=0:0,10:0,1:1,11:1\n"
         "strategy l2/mean/l2/l2/max\n"
         "strategy l2/kmeans/l2/l2/mnn:3:cosine:distance\n"
         "k 1\nk 5\nshot all\nshot 2\nseed 17121997\nseed 7\n"
         "lambda pixels 0.050000000000000003\n")
h = 0xcbf29ce484222325
for b in canon.encode():
    h = ((h ^ b) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
frozen = 0x271bb689dbadb4f0
print(f"{'ok  ' if h == frozen else 'FAIL'} grid hash frozen {frozen:016x} python {h:016x}")
sys.exit(0 if h == frozen else 1)
