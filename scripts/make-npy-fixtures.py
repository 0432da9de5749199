#!/usr/bin/env python3
"""Writes the NumPy fixtures of packages/core/src/data/npy.test.ts.

Run from the repo root:  python3 scripts/make-npy-fixtures.py
Produces packages/core/src/data/fixtures/npy/*.npy|*.npz and expected.json (values as nested-free flat lists in
C order; complex values as [re, im] pairs; int64 as strings). Everything is deterministic (fixed values, seed 0).
"""
import json
import os

import numpy as np
from numpy.lib import format as npformat

OUT = os.path.join(os.path.dirname(__file__), '..', 'packages', 'core', 'src', 'data', 'fixtures', 'npy')
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(0)

arrays = {
    'f8_c': np.arange(6, dtype='<f8').reshape(2, 3) / 7.0,
    'f4_be': (np.arange(6).reshape(3, 2) - 2.5).astype('>f4'),
    'i4_fortran': np.asfortranarray(np.arange(24, dtype='<i4').reshape(2, 3, 4) - 5),
    'f8_be_fortran': np.asfortranarray((np.arange(12).reshape(3, 4) * 0.25).astype('>f8')),
    'c8': (rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))).astype('<c8'),
    'c16_be': (rng.standard_normal((3,)) + 1j * rng.standard_normal((3,))).astype('>c16'),
    'c16_fortran': np.asfortranarray(rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3))),
    'bool': np.array([[True, False, True], [False, False, True]]),
    'u1': np.array([0, 1, 255, 7], dtype='u1'),
    'i1': np.array([-128, 0, 127], dtype='i1'),
    'i2_be': np.array([-300, 2, 30000], dtype='>i2'),
    'u2': np.array([0, 65535, 12], dtype='<u2'),
    'u4_be': np.array([0, 4000000000, 5], dtype='>u4'),
    'i8': np.array([-(2**40), 3, 2**40 + 1], dtype='<i8'),
    'u8_be': np.array([0, 2**50, 9], dtype='>u8'),
    'f2': np.array([0.5, -1.25, 65504.0, 6.1e-5, 1e-7], dtype='<f2'),
    'scalar_f8': np.array(3.5),
    'empty': np.zeros((0, 3), dtype='<f8'),
}

expected = {}
for name, a in arrays.items():
    np.save(os.path.join(OUT, f'{name}.npy'), a)
    flat = np.ascontiguousarray(a).ravel()  # C order
    if np.iscomplexobj(a):
        values = [[float(v.real), float(v.imag)] for v in flat]
    elif a.dtype.kind in 'iu' and a.dtype.itemsize == 8:
        values = [str(int(v)) for v in flat]
    elif a.dtype.kind == 'b':
        values = [int(v) for v in flat]
    else:
        values = [float(v) for v in flat]
    expected[name] = {'dtype': a.dtype.name, 'shape': list(a.shape), 'values': values,
                      'fortran': bool(a.flags.f_contiguous and not a.flags.c_contiguous)}

# Header versions 2.0 and 3.0 (numpy picks them only for huge / non-latin-1 headers; force them here).
v = np.arange(5, dtype='<f8')
for ver in [(2, 0), (3, 0)]:
    with open(os.path.join(OUT, f'version{ver[0]}.npy'), 'wb') as fh:
        npformat.write_array(fh, v, version=ver)
expected['version2'] = {'dtype': 'float64', 'shape': [5], 'values': v.tolist(), 'fortran': False}
expected['version3'] = expected['version2']

# Unsupported dtypes (must raise DTypeError).
np.save(os.path.join(OUT, 'unsupported_str.npy'), np.array(['ab', 'c']))
np.save(os.path.join(OUT, 'unsupported_struct.npy'), np.zeros(2, dtype=[('a', '<i4'), ('b', '<f8')]))

# Archives written by savez (stored) and savez_compressed (deflate), with the JADCE key conventions.
S = (rng.standard_normal((4, 6)) + 1j * rng.standard_normal((4, 6))) / np.sqrt(8)
Y = rng.standard_normal((2, 4, 3)) + 1j * rng.standard_normal((2, 4, 3))
active = rng.random((2, 6)) < 0.5
npz = {'S': S.astype('<c8'), 'Y_re': Y.real, 'Y_im': Y.imag, 'active': active, 'sigma2': np.float64(0.1)}
np.savez(os.path.join(OUT, 'savez.npz'), **npz)
np.savez_compressed(os.path.join(OUT, 'savez_compressed.npz'), **npz)
expected['npz'] = {
    'S': {'dtype': 'complex64', 'shape': [4, 6],
          'values': [[float(z.real), float(z.imag)] for z in S.astype('<c8').ravel()]},
    'Y_re': {'dtype': 'float64', 'shape': [2, 4, 3], 'values': Y.real.ravel().tolist()},
    'Y_im': {'dtype': 'float64', 'shape': [2, 4, 3], 'values': Y.imag.ravel().tolist()},
    'active': {'dtype': 'bool', 'shape': [2, 6], 'values': [int(b) for b in active.ravel()]},
    'sigma2': {'dtype': 'float64', 'shape': [], 'values': [0.1]},
}

with open(os.path.join(OUT, 'expected.json'), 'w') as fh:
    json.dump(expected, fh, indent=1)
print('wrote', sorted(os.listdir(OUT)))
