# Reads a Python Trax file with pickle + numpy (JAX and trax.shapes stubbed) and
# prints JSON: step, history, input signature and every array of the file and
# of its .npy.gz companions (weights, optimizer slots), for test/io/trax-file.test.ts.
import gzip, io, json, os, pickle, sys, types
import numpy as np

def _reconstruct_array(fun, args, arr_state, aval_state):
    a = fun(*args)
    a.__setstate__(arr_state)
    return a

class ShapeDtype:
    __slots__ = ['shape', 'dtype']

class Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ('jax._src.array', '_reconstruct_array'):
            return _reconstruct_array
        if (module, name) == ('trax.shapes', 'ShapeDtype'):
            return ShapeDtype
        if module.startswith('numpy._core') and not hasattr(np, '_core'):
            module = 'numpy.core' + module[len('numpy._core'):]  # numpy 2 spelling, read by numpy 1.x
        return super().find_class(module, name)

def np_from_file(path):
    out = []
    with gzip.open(path, 'rb') as f:
        while True:
            try:
                out.append(np.load(f, allow_pickle=False))
            except Exception:
                return out

def arrays(xs):
    for x in xs:
        assert isinstance(x, np.ndarray), type(x)
    return [{'shape': list(x.shape), 'dtype': x.dtype.name, 'values': x.astype(np.float64).ravel().tolist()} for x in xs]

def sig(s):
    if isinstance(s, tuple):
        return [sig(x) for x in s]
    assert isinstance(s, ShapeDtype) and isinstance(s.shape, tuple), s
    return {'shape': list(s.shape), 'dtype': np.dtype(s.dtype).name}

path = sys.argv[1]
if '--plain' in sys.argv:
    # As Python Trax loads it: plain pickle.load, with trax.shapes standing in.
    trax = types.ModuleType('trax')
    shapes = types.ModuleType('trax.shapes')
    shapes.ShapeDtype = ShapeDtype
    ShapeDtype.__module__ = 'trax.shapes'
    trax.shapes = shapes
    sys.modules['trax'] = trax
    sys.modules['trax.shapes'] = shapes
    with gzip.open(path, 'rb') as f:
        d = pickle.load(f)
else:
    d = Unpickler(io.BytesIO(gzip.open(path).read())).load()
out = {'keys': list(d.keys()), 'numpy': np.__version__}
fw = d['flat_weights']
if isinstance(fw, int):
    base = path[:-6] + 'weights.npy.gz'
    fw = np_from_file(base if os.path.exists(base) else path + '.npy')
out['flat_weights'] = arrays(fw)
if 'flat_state' in d:
    out['flat_state'] = arrays(d['flat_state'])
if 'input_signature' in d:
    out['input_signature'] = sig(d['input_signature'])
if 'step' in d:
    out['step'] = d['step']
    out['history'] = {mode: {k: [[s, float(v)] for s, v in pairs] for k, pairs in metrics.items()}
                      for mode, metrics in d['history']['_values'].items()}
    out['history_types'] = sorted({type(m).__name__ for m in d['history']['_values'].values()})
    out['pair_types'] = sorted({f'{type(p).__name__}({type(p[0]).__name__}, {type(p[1]).__name__})'
                                for m in d['history']['_values'].values() for ps in m.values() for p in ps})
    out['flat_eval_state'] = arrays(d['flat_eval_state'])
    out['slots_per_task'] = d['slots_per_task']
    out['version_timestamp'] = d['version_timestamp']
    out['slots'] = []
    i = 0
    while os.path.exists(path[:-7] + f'.opt_slots{i}.npy.gz'):
        out['slots'].append(arrays(np_from_file(path[:-7] + f'.opt_slots{i}.npy.gz')))
        i += 1
print(json.dumps(out))
