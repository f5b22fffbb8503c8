# Pickles for test/io/pickle.test.ts, printed as JSON {name: hex}: benign ones
# (every kind of value and numpy spelling the unpickler must read) and crafted
# ones (reduce payloads it must refuse). Dumping runs nothing: pickle only
# records the callables by name.
import builtins, collections, json, os, pickle, subprocess, sys
import numpy as np

out = {}

def put(name, obj, protocol):
    out[name] = pickle.dumps(obj, protocol=protocol).hex()

class Reduce:
    def __init__(self, f, args):
        self.f, self.args = f, args
    def __reduce__(self):
        return (self.f, self.args)

# ---------------------------------------------------------------- benign
values = {
    'none': None, 't': True, 'f': False, 'small': 7, 'neg': -3, 'i2': 40000, 'i4': -2**31,
    'big': 2**70, 'float': 2.5, 'str': 'héllo', 'bytes': b'\x00\xff', 'ba': bytearray(b'ab'),
    'tuple': (1, (2, 3), ()), 'list': [1, [2], []], 'nested': {'a': {'b': [1.5]}},
}
for p in (2, 3, 4, 5):
    put(f'values_p{p}', values, p)
    put(f'arrays_p{p}', {
        'f32': np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
        'i32': np.array([-1, 2, 3], dtype=np.int32),
        'f64': np.array([0.1, -2.5]),
        'be': np.array([1.5, -2], dtype='>f4'),
        'fortran': np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)),
        'bool': np.array([True, False, True]),
        'u8': np.array([1, 255], dtype=np.uint8),
        'i64': np.array([5, -6], dtype=np.int64),
        'scalar': np.float64(0.25),
        'scalar32': np.int32(-9),
        'zero_d': np.array(3.5, dtype=np.float32),
        'empty': np.zeros((0, 4), dtype=np.float32),
        'dtype': np.dtype('f4'),
        'dd': collections.defaultdict(list, {'x': [(1, 2.0)]}),
    }, p)

# ---------------------------------------------------------------- crafted
marker = '/tmp/trax-ts-pickle-pwned'
put('posix_system', Reduce(os.system, (f'touch {marker}',)), 4)
put('os_system_p2', Reduce(os.system, (f'touch {marker}',)), 2)
put('builtins_eval', Reduce(builtins.eval, ("__import__('os').system('touch /tmp/x')",)), 4)
put('builtins_exec', Reduce(builtins.exec, ("import os",)), 5)
put('subprocess_popen', Reduce(subprocess.Popen, (['touch', marker],)), 4)
put('subprocess_check_output', Reduce(subprocess.check_output, (['id'],)), 3)
put('getattr_import', Reduce(builtins.getattr, (Reduce(builtins.__import__, ('os',)), 'system')), 4)
put('builtins_import', Reduce(builtins.__import__, ('os',)), 2)
put('nested_in_weights', {'flat_weights': [np.zeros(2, np.float32), [Reduce(os.system, ('id',))]]}, 5)
put('in_dtype_arg', Reduce(np.dtype, (Reduce(builtins.eval, ('1',)),)), 4)
put('numpy_load', Reduce(np.load, ('/tmp/evil.npy', None, True)), 4)
put('apply_via_list', Reduce(builtins.list, (Reduce(builtins.map, (os.system, ['id'])),)), 4)

sys.stdout.write(json.dumps(out))
