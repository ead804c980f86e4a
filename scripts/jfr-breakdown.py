#!/usr/bin/env python3
"""Where a training step's time goes: groups a JFR recording's main-thread samples inside DL4J's
ComputationGraph.fit into GEMM, other native math, ND4J bookkeeping, ND4J/JDK/DL4J Java code, and by phase.

Usage: scripts/jfr-breakdown.py recording.jfr [...]   (needs the JDK's `jfr` tool on the PATH)
Record with: OMP_NUM_THREADS=1 java -Xmx2g -Dorg.bytedeco.javacpp.maxPhysicalBytes=0 \
  -XX:StartFlightRecording=filename=64.jfr,settings=profile \
  -cp "target/test-classes:target/classes:$(cat cp.txt)" io.gradflow.bench.StepProfile 64 10 plain 400
"""
import collections
import json
import subprocess
import sys


def samples(path):
    out = subprocess.run(['jfr', 'print', '--json', '--events', 'jdk.ExecutionSample,jdk.NativeMethodSample',
                          '--stack-depth', '96', path], capture_output=True, text=True, check=True).stdout
    for e in json.loads(out)['recording']['events']:
        v = e['values']
        if (v.get('sampledThread') or {}).get('javaName') != 'main' or not v.get('stackTrace'):
            continue
        yield [f['method']['type']['name'] + '.' + f['method']['name'] for f in v['stackTrace']['frames']]


def category(frames):
    leaf, stack = frames[0], ' '.join(frames)
    if leaf.endswith('Nd4jCpu.execCustomOp2') and ('BaseLevel3.gemm' in stack or 'Nd4j.gemm' in stack or 'mmuli' in stack):
        return 'GEMM (OpenBLAS, through the matmul op)'
    if 'openblas_nolapack.cblas_' in leaf:
        return 'GEMM (OpenBLAS, direct call from model/DirectBlas)'
    if leaf.startswith('org/bytedeco/javacpp/') and ('Pointer.get' in leaf or 'Pointer.put' in leaf):
        return 'gradflow copies between native buffers and Java arrays (JavaCPP bulk copy)'
    if 'Nd4jCpu.exec' in leaf:
        return 'other native math (element-wise, broadcast, reductions)'
    if 'Nd4jCpu' in leaf or 'bytedeco' in leaf or 'nativeblas' in leaf:
        return 'ND4J native bookkeeping (shape buffers, data buffers, op contexts)'
    if leaf.startswith('org/nd4j'):
        return 'ND4J Java code (array and op objects)'
    if leaf.startswith('org/deeplearning4j'):
        return 'DL4J Java code (graph traversal, updater)'
    if leaf.startswith('io/gradflow'):
        return 'gradflow code'
    return 'JDK code called by ND4J/DL4J (maps, thread locals, references)'


def phase(frames):
    stack = ' '.join(frames)
    # DL4J's traversal, then the direct step's (model/DirectStep: its layers' training entry points)
    for needle, name in (('updateGradientAccordingToParams', 'updater'), ('calcBackpropGradients', 'backward'),
                         ('ffToLayerActivationsInWS', 'forward'), ('computeScore', 'loss'),
                         ('SoftmaxOutputLayer$Impl.trainingStep', 'loss'), ('trainingBackward', 'backward'),
                         ('parameterGradients', 'backward'), ('ProbedAddVertex$Impl.add', 'forward'),
                         ('DirectBlas.addTo', 'backward'), ('trainingForward', 'forward'),
                         ('LinearLayer$Impl.forward', 'forward'), ('NegativeGradientStepFunction', 'updater')):
        if needle in stack:
            return name
    return 'other'


for path in sys.argv[1:]:
    cats, phases, total = collections.Counter(), collections.Counter(), 0
    for frames in samples(path):
        if not any('ComputationGraph.fit' in f for f in frames):
            continue
        total += 1
        cats[category(frames)] += 1
        phases[phase(frames)] += 1
    print(f'{path}: {total} main-thread samples inside ComputationGraph.fit')
    for name, n in cats.most_common():
        print(f'  {100 * n / total:5.1f}%  {name}')
    print('  by phase: ' + ', '.join(f'{k} {100 * n / total:.0f}%' for k, n in phases.most_common()))
