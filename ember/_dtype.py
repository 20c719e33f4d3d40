"""dtype objects, the default dtype, and PyTorch's type promotion.

NumPy and PyTorch promote differently (int64 / int64 is float32 in torch; a Python float or a
0-dim tensor does not widen a float16 tensor).  Every ember op asks this module for the result
dtype and casts its inputs before calling NumPy, so NumPy's own promotion never decides.
"""

import numpy as np

# categories, in promotion order
BOOL, INT, FLOAT, COMPLEX = 0, 1, 2, 3


class dtype:
    """A tensor element type, printed as ``ember.float32`` like ``torch.float32``."""

    __slots__ = ("name", "np", "itemsize", "category", "is_signed", "_short", "_limited")

    def __init__(self, name, np_dtype, category, short, itemsize=2, limited=None):
        self.name = name
        self.np = np_dtype
        self.itemsize = np_dtype.itemsize if np_dtype else itemsize
        self.category = category
        self.is_signed = not name.startswith("uint") and name not in ("bool", "float8_e8m0fnu")
        self._short = short  # PyTorch's ScalarType name used in error messages ("Float")
        # torch 2.13 supports few ops on uint16/32/64 and the float8 types: the name of their
        # family in torch's promotion error, else None
        self._limited = limited

    @property
    def is_floating_point(self):
        return self.category == FLOAT

    @property
    def is_complex(self):
        return self.category == COMPLEX

    @property
    def itemsize_bits(self):
        return self.itemsize * 8

    def to_real(self):
        return {complex64: float32, complex128: float64}.get(self, self)

    def to_complex(self):
        return {float64: complex128, complex128: complex128}.get(self, complex64)

    def __repr__(self):
        return "ember." + self.name

    def __reduce__(self):
        # dtypes are singletons: pickling refers to the module attribute
        return self.name


class _MlDtype(dtype):
    """A dtype whose NumPy dtype lives in the optional package ml_dtypes: bfloat16 and the
    float8 types.

    NOTE: importing ml_dtypes takes ~0.6 s, half of ``import ember``; most programs never touch
    these dtypes, so the package is imported the first time ``.np`` is read (a property here
    shadows the slot of the base class) and the NumPy dtype is then registered with the tables
    below.  ``np`` is None when ml_dtypes is not installed."""

    __slots__ = ("_np_dtype",)

    def __init__(self, name, category, short, itemsize, limited=None):
        super().__init__(name, False, category, short, itemsize, limited)

    @property
    def np(self):
        if self._np_dtype is False:
            self._np_dtype = _import_ml_dtype(self)
        return self._np_dtype

    @np.setter
    def np(self, value):
        self._np_dtype = value


def _import_ml_dtype(d):
    """ml_dtypes' NumPy dtype of the same name as ``d``, registered as ``d``; None without it."""
    try:
        import ml_dtypes
    except ImportError:  # pragma: no cover - exercised only without the extra
        return None
    np_dtype = np.dtype(getattr(ml_dtypes, d.name))
    _FROM_NP[np_dtype] = d
    if d is bfloat16:
        _WIDER_ACCUMULATOR[np_dtype] = np.dtype(np.float32)
    return np_dtype


bool = dtype("bool", np.dtype(np.bool_), BOOL, "Bool")  # noqa: A001 - torch's name
uint8 = dtype("uint8", np.dtype(np.uint8), INT, "Byte")
int8 = dtype("int8", np.dtype(np.int8), INT, "Char")
int16 = dtype("int16", np.dtype(np.int16), INT, "Short")
int32 = dtype("int32", np.dtype(np.int32), INT, "Int")
int64 = dtype("int64", np.dtype(np.int64), INT, "Long")
float16 = dtype("float16", np.dtype(np.float16), FLOAT, "Half")
bfloat16 = _MlDtype("bfloat16", FLOAT, "BFloat16", 2)
float32 = dtype("float32", np.dtype(np.float32), FLOAT, "Float")
float64 = dtype("float64", np.dtype(np.float64), FLOAT, "Double")
complex64 = dtype("complex64", np.dtype(np.complex64), COMPLEX, "ComplexFloat")
complex128 = dtype("complex128", np.dtype(np.complex128), COMPLEX, "ComplexDouble")

# PyTorch's aliases
half = float16
float = float32  # noqa: A001
double = float64
cfloat = complex64
cdouble = complex128
short = int16
int = int32  # noqa: A001
long = int64
uint8 = uint8

# the dtypes torch 2.13 has with limited support (creation, conversion, printing, indexing,
# comparison; few maths): wider unsigned integers (NumPy's) and 8-bit floats (ml_dtypes')
_UNSIGNED = "uint16, uint32, uint64 types"
uint16 = dtype("uint16", np.dtype(np.uint16), INT, "UInt16", limited=_UNSIGNED)
uint32 = dtype("uint32", np.dtype(np.uint32), INT, "UInt32", limited=_UNSIGNED)
uint64 = dtype("uint64", np.dtype(np.uint64), INT, "UInt64", limited=_UNSIGNED)
float8_e4m3fn = _MlDtype("float8_e4m3fn", FLOAT, "Float8_e4m3fn", 1, "Float8 Types")
float8_e5m2 = _MlDtype("float8_e5m2", FLOAT, "Float8_e5m2", 1, "Float8 Types")
float8_e4m3fnuz = _MlDtype("float8_e4m3fnuz", FLOAT, "Float8_e4m3fnuz", 1, "Float8 Types")
float8_e5m2fnuz = _MlDtype("float8_e5m2fnuz", FLOAT, "Float8_e5m2fnuz", 1, "Float8 Types")
float8_e8m0fnu = _MlDtype("float8_e8m0fnu", FLOAT, "Float8_e8m0fnu", 1, "Float8 Types")
LIMITED_DTYPES = (uint16, uint32, uint64, float8_e4m3fn, float8_e5m2, float8_e4m3fnuz,
                  float8_e5m2fnuz, float8_e8m0fnu)

ALL_DTYPES = (bool, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64,
              complex64, complex128) + LIMITED_DTYPES

# ml_dtypes' types join when first used (_MlDtype)
_FROM_NP = {d.np: d for d in ALL_DTYPES if not isinstance(d, _MlDtype)}
_ML_BY_NAME = {d.name: d for d in ALL_DTYPES if isinstance(d, _MlDtype)}


def from_numpy_dtype(np_dtype):
    """The ember dtype of a NumPy dtype; TypeError for types ember has no dtype for."""
    try:
        return _FROM_NP[np_dtype]
    except KeyError:
        pass
    np_dtype = np.dtype(np_dtype)
    if np_dtype not in _FROM_NP and np_dtype.name in _ML_BY_NAME:
        _ = _ML_BY_NAME[np_dtype.name].np  # an ml_dtypes array: reading .np registers it
    if np_dtype in _FROM_NP:
        return _FROM_NP[np_dtype]
    if np_dtype.kind == "u":  # uint16/32/64: torch has no tensors of these in general use
        raise TypeError(
            f"can't convert np.ndarray of type numpy.{np_dtype.name}. The only supported types "
            "are: float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
            "uint8, and bool."
        )
    raise TypeError(
        f"can't convert np.ndarray of type numpy.{np_dtype.name}. The only supported types are: "
        "float64, float32, float16, complex64, complex128, int64, int32, int16, int8, uint8, "
        "and bool."
    )


def to_numpy_dtype(d):
    if d.np is None:
        raise ImportError(
            f"ember.{d.name} needs the optional package ml_dtypes: pip install 'ember[bfloat16]' "
            "(or pip install ml_dtypes)"
        )
    return d.np


def is_bfloat16(array):
    """True for an array of ml_dtypes' bfloat16.  NOTE: not ``array.dtype.name``, which NumPy
    computes in Python at every read (0.6-1.8 us; a dict lookup takes 0.04)."""
    return _FROM_NP.get(array.dtype) is bfloat16


def cast(array, d):
    """``array`` in dtype ``d``, rounded as torch rounds.

    NOTE: torch makes 16-bit (and 8-bit) floats from float32 values: a float64 becomes float32
    first, then float16/bfloat16/float8 (two roundings). NumPy rounds float64 -> float16 once,
    which can differ in the last bit, so ember goes through float32 too.
    """
    np_dtype = to_numpy_dtype(d)
    if d.itemsize <= 2 and d.category == FLOAT and array.dtype.itemsize == 8:
        array = array.astype(np.float32)
    # bfloat16 <-> float32 by bit arithmetic (the same values; ml_dtypes' astype takes ~1.1x
    # as long to round, ~1.7x to widen)
    if d is bfloat16 and array.dtype == np.float32:
        return _bfloat16.round_to_bfloat16(array)
    if d is float32 and is_bfloat16(array):
        return _bfloat16.widen_bfloat16(array)
    if d is float8_e8m0fnu and array.dtype.kind in "fiub":
        # torch keeps only the exponent: the sign is dropped and 0 becomes the smallest power
        # 2^-127 (ml_dtypes would give NaN for both)
        array = np.abs(array.astype(np.float32))
        array = np.where(array == 0, np.float32(2.0 ** -127), array)
    return array.astype(np_dtype, copy=False)


# ---------------------------------------------------------------------------- accumulation

# NOTE: a 16-bit float keeps 11 (float16) or 8 (bfloat16) significant bits, so a running sum
# of ones stops growing at 2048 (256): every further 1 is rounded away. torch adds 16-bit
# floats up in float32 and rounds the result once; NumPy adds them in their own dtype unless
# told otherwise. Keyed by NumPy dtype (arrays' ``.dtype``): one dict lookup on the hot path.
_WIDER_ACCUMULATOR = {np.dtype(np.float16): np.dtype(np.float32)}  # + bfloat16 when first used


def accumulator_dtype(np_dtype):
    """The NumPy dtype that sums (and products, norms, variances) of ``np_dtype`` values are
    accumulated in, as torch does: float32 for float16 and bfloat16, ``np_dtype`` itself (the
    same object) for every other dtype. The caller rounds the result back to its dtype."""
    return _WIDER_ACCUMULATOR.get(np_dtype, np_dtype)


# ---------------------------------------------------------------------------- default dtype

_default = [float32]


def get_default_dtype():
    """The dtype of new floating-point tensors (float32 unless changed)."""
    return _default[0]


def set_default_dtype(d):
    """Set the dtype of new floating-point tensors; only float32/float64 (and 16-bit) allowed."""
    if not isinstance(d, dtype) or d.category != FLOAT:
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def default_complex_dtype():
    return complex128 if _default[0] is float64 else complex64


# ---------------------------------------------------------------------------- promotion

def promote_types(type1, type2):
    """The smallest dtype both can be cast to without loss of category. Same as torch's."""
    if type1 is type2:
        return type1
    c1, c2 = type1.category, type2.category
    if type1._limited or type2._limited:
        _check_limited_promotion(type1, type2)
    if c1 == BOOL:
        return type2
    if c2 == BOOL:
        return type1
    if c1 == INT and c2 == INT:
        return from_numpy_dtype(np.promote_types(type1.np, type2.np))
    if c1 != c2 and COMPLEX not in (c1, c2):
        return type1 if c1 > c2 else type2  # int with float: the float wins as it is
    if c1 == FLOAT and c2 == FLOAT:
        if {type1, type2} == {float16, bfloat16}:
            return float32
        return type1 if type1.itemsize > type2.itemsize else type2
    # a complex is involved: complex with the wider of the two value precisions
    wide = max(_value_bits(type1), _value_bits(type2))
    return complex128 if wide >= 64 else complex64


def _check_limited_promotion(type1, type2):
    """torch 2.13 promotes a float8 type with no other type, and uint16/32/64 only with
    floating and complex types (which win as for any integer)."""
    float8 = "Float8 Types"
    limited = float8 if float8 in (type1._limited, type2._limited) else _UNSIGNED
    floats = type1.category >= FLOAT or type2.category >= FLOAT
    if limited == float8 or not floats:
        raise RuntimeError(f"Promotion for {limited} is not supported, attempted to promote "
                           f"{type1._short} and {type2._short}")


def _value_bits(d):
    if d.category == COMPLEX:
        return d.itemsize * 4
    if d.category == FLOAT:
        return d.itemsize * 8
    return 0


def _combine(higher, lower):
    """Combine the result of a higher-priority group with a lower one (dimensioned tensors over
    0-dim tensors over Python numbers): a lower group only counts if it is of a higher category."""
    if higher is None:
        return lower
    if lower is None:
        return higher
    if higher.category == COMPLEX:
        return higher
    if lower.category == COMPLEX:
        return higher.to_complex() if higher.category == FLOAT else lower
    if higher.category == FLOAT:
        return higher
    if higher.category == BOOL or lower.category == FLOAT:
        return promote_types(higher, lower)
    return higher


def scalar_dtype(value):
    """The dtype a Python number takes on its own (bool, int64, default float/complex)."""
    t = type(value)
    if t is builtins_bool or isinstance(value, np.bool_):
        return bool
    if t is builtins_int or isinstance(value, np.integer):
        return int64
    if t is builtins_float or isinstance(value, np.floating):
        return _default[0]
    if t is builtins_complex or isinstance(value, np.complexfloating):
        return default_complex_dtype()
    raise TypeError(f"expected a number, got {type(value).__name__}")


def result_type(*operands):
    """PyTorch's result dtype for tensors and Python numbers taking part in one op.

    Dimensioned tensors decide first; 0-dim tensors and then Python numbers only matter when
    they are of a higher category (bool < integer < floating < complex).
    """
    from ._tensor import Tensor

    dim_result = zero_result = wrapped_result = None
    for x in operands:
        if isinstance(x, Tensor):
            d = x.dtype
            if x._data.ndim:
                dim_result = d if dim_result is None else promote_types(dim_result, d)
            else:
                zero_result = d if zero_result is None else promote_types(zero_result, d)
        else:
            d = scalar_dtype(x)
            wrapped_result = d if wrapped_result is None else promote_types(wrapped_result, d)
    return _combine(dim_result, _combine(zero_result, wrapped_result))


def can_cast(from_, to):
    """False where torch refuses an implicit cast: to a lower category (float -> int, ...)."""
    return from_.category <= to.category or (from_.category == BOOL)


# ---------------------------------------------------------------------------- finfo / iinfo

class finfo:
    """Machine limits of a floating dtype, as torch.finfo (``dtype`` is the name, a str)."""

    def __init__(self, type=None):  # noqa: A002 - torch's name
        type = type or _default[0]
        if type.category not in (FLOAT, COMPLEX):
            raise TypeError("ember.finfo() requires a floating point input type. Use ember.iinfo "
                            "to handle 'ember.finfo'")
        real = type.to_real()
        # ml_dtypes.finfo also knows bfloat16 and the float8 types, which numpy.finfo does not
        ml = isinstance(real, _MlDtype)
        info = (_ml_dtypes_finfo() if ml else np.finfo)(to_numpy_dtype(real))
        self.dtype = real.name
        self.bits = real.itemsize * 8
        self.eps = builtins_float(info.eps)
        self.max = builtins_float(info.max)
        self.min = builtins_float(info.min)
        self.tiny = builtins_float(info.tiny)
        self.smallest_normal = self.tiny
        self.resolution = 10.0 ** -builtins_int(info.precision)
        if real.itemsize == 1:
            # torch's figures for the float8 types: a resolution of 1 (no decimal digit is
            # exact), and for float8_e5m2fnuz an eps of 2^-3 where ml_dtypes says 2^-2
            self.resolution = 1.0
            self.eps = {"float8_e5m2fnuz": 0.125}.get(real.name, self.eps)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer dtype, as torch.iinfo (``dtype`` is the name, a str)."""

    def __init__(self, type):  # noqa: A002
        if type is bool:
            raise TypeError("ember.bool is not supported by ember.iinfo")
        if type.category != INT:
            raise TypeError("ember.iinfo() requires an integer input type. Use ember.finfo to "
                            "handle 'ember.iinfo'")
        info = np.iinfo(type.np)
        self.dtype = type.name
        self.bits = type.itemsize * 8
        self.max = builtins_int(info.max)
        self.min = builtins_int(info.min)

    def __repr__(self):
        return f"iinfo(min={self.min:g}, max={self.max:g}, dtype={self.dtype})"


import builtins as _builtins  # noqa: E402 - after the dtype names that shadow builtins

builtins_bool = _builtins.bool
builtins_int = _builtins.int
builtins_float = _builtins.float
builtins_complex = _builtins.complex


# Python's number types name a dtype wherever torch takes one: dtype=float is float64
_PYTHON_TYPE_DTYPES = {builtins_bool: bool, builtins_int: int64, builtins_float: float64,
                       builtins_complex: complex128}


def check_dtype(d, fn):
    """The ``dtype=`` argument of ``fn`` as a dtype (None stays None).

    Every factory and conversion that takes ``dtype=`` asks here, so a string or a NumPy type
    gets torch's TypeError instead of failing deep inside the op."""
    if d is None or type(d) is dtype or type(d) is _MlDtype:
        return d
    if type(d) is type and d in _PYTHON_TYPE_DTYPES:
        return _PYTHON_TYPE_DTYPES[d]
    name = d if isinstance(d, str) else getattr(d, "__name__", None)
    fix = f"dtype=ember.{name}" if name in _BY_NAME else "a dtype such as dtype=ember.float32"
    raise TypeError(f"{fn}(): argument 'dtype' must be torch.dtype, not {type(d).__name__}\n"
                    f"  ember: dtype takes one of ember's dtype objects, not a string or a NumPy "
                    f"type: write {fix}.")


_BY_NAME = {d.name for d in ALL_DTYPES}


def _ml_dtypes_finfo():
    """ml_dtypes.finfo (it knows bfloat16 and the float8 types, which numpy.finfo does not)."""
    import ml_dtypes

    return ml_dtypes.finfo

from . import _bfloat16  # noqa: E402 - it reads this module's dtypes
