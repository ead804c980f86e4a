#!/usr/bin/env python3
# Within-cell seed noise of paired differences: for each axis level against its baseline, the standard deviation
# over seeds of outcome(level) - outcome(baseline) in each cell of the other axes, averaged over cells, for two
# sweeps of the same grid (e.g. before and after a change). Input: CSVs written by
#   gradflow sql DIR "SELECT activation, init, batchnorm, residual, seed, verdict, flow_log10_delta_init, flow_log10_grad_init, flow_log10_delta_train, test_accuracy, final_train_loss FROM trials" --csv FILE
# Usage: scripts/paired-noise.py BEFORE.csv AFTER.csv
import csv, sys, statistics, math
AX=['activation','init','batchnorm','residual']
BASE={'activation':'sigmoid','init':'xavier','batchnorm':'false','residual':'false'}
OUT=['flow_log10_delta_init','flow_log10_grad_init','flow_log10_delta_train','test_accuracy','final_train_loss']
def load(p):
    rows=list(csv.DictReader(open(p)))
    return {tuple(r[a] for a in AX)+(r['seed'],):r for r in rows}
def sds(t):
    res={}
    for ai,a in enumerate(AX):
        levels=sorted({k[ai] for k in t})
        for lv in levels:
            if lv==BASE[a]: continue
            for o in OUT:
                cellsd=[]
                cells={}
                for k,r in t.items():
                    if k[ai]!=lv: continue
                    kb=list(k); kb[ai]=BASE[a]; kb=tuple(kb)
                    if kb not in t: continue
                    x,y=r[o],t[kb][o]
                    if x in ('','null') or y in ('','null'): continue
                    cells.setdefault(k[:ai]+k[ai+1:-1],[]).append(float(x)-float(y))
                for c,d in cells.items():
                    if len(d)>=2: cellsd.append(statistics.stdev(d))
                if cellsd: res[(o,a,lv)]=(statistics.mean(cellsd),len(cellsd))
    return res
b=sds(load(sys.argv[1])); a=sds(load(sys.argv[2]))
print("| outcome | axis: level | cells | sd of the paired difference over seeds, before | after | after/before |")
print("|---|---|---|---|---|---|")
rs=[]
for k in sorted(b):
    if k in a:
        r=a[k][0]/b[k][0] if b[k][0]>0 else float('nan'); rs.append(r)
        print(f"| {k[0]} | {k[1]}: {k[2]} | {b[k][1]} | {b[k][0]:.3f} | {a[k][0]:.3f} | {r:.2f} |")
print(f"\nmedian ratio {statistics.median(rs):.2f}")
