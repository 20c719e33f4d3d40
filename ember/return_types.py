"""The named tuples some ops return: ``values, indices = x.max(1)`` or ``x.max(1).values``.

Each is a tuple subclass named after its op (``ember.return_types.max``), so it unpacks, indexes
and pickles like a tuple and prints like ``torch.return_types.max``:

    >>> import ember
    >>> ember.tensor([[1., 5.], [7., 2.]]).max(1)
    ember.return_types.max(
    values=tensor([5., 7.]),
    indices=tensor([1, 0]))
"""

from operator import itemgetter

__all__ = ["max", "min", "median", "nanmedian", "mode", "cummax", "cummin", "kthvalue", "sort",
           "topk", "aminmax", "frexp", "histogram", "histogramdd"]


class _ReturnType(tuple):
    """A tuple with named fields, built from one sequence as torch's structseq types are."""

    __slots__ = ()
    _fields = ()

    def __new__(cls, sequence):
        sequence = tuple(sequence)
        if len(sequence) != len(cls._fields):
            raise TypeError(f"ember.return_types.{cls.__name__} takes a {len(cls._fields)}-"
                            f"sequence ({len(sequence)}-sequence given)")
        return super().__new__(cls, sequence)

    @property
    def n_fields(self):
        return len(self._fields)

    n_sequence_fields = n_fields

    def __repr__(self):
        fields = ",\n".join(f"{name}={value!r}" for name, value in zip(self._fields, self))
        return f"{__name__}.{type(self).__name__}(\n{fields})"

    def __reduce__(self):
        return (type(self), (tuple(self),))


def _return_type(name, fields):
    namespace = {"__slots__": (), "_fields": fields, "__module__": __name__,
                 "__qualname__": name}
    for i, field in enumerate(fields):
        namespace[field] = property(itemgetter(i))
    return type(name, (_ReturnType,), namespace)


max = _return_type("max", ("values", "indices"))  # noqa: A001 - torch's name
min = _return_type("min", ("values", "indices"))  # noqa: A001
median = _return_type("median", ("values", "indices"))
nanmedian = _return_type("nanmedian", ("values", "indices"))
mode = _return_type("mode", ("values", "indices"))
cummax = _return_type("cummax", ("values", "indices"))
cummin = _return_type("cummin", ("values", "indices"))
kthvalue = _return_type("kthvalue", ("values", "indices"))
sort = _return_type("sort", ("values", "indices"))
topk = _return_type("topk", ("values", "indices"))
aminmax = _return_type("aminmax", ("min", "max"))
histogram = _return_type("histogram", ("hist", "bin_edges"))
histogramdd = _return_type("histogramdd", ("hist", "bin_edges"))
frexp = _return_type("frexp", ("mantissa", "exponent"))

# the rest of torch.linalg (ember/ops/lu.py, eig.py, lstsq.py)
__all__ += ["linalg_lu_factor", "linalg_lu_factor_ex", "linalg_lu", "lu_unpack",
            "triangular_solve", "linalg_eig", "linalg_lstsq", "linalg_ldl_factor",
            "linalg_ldl_factor_ex"]
linalg_lu_factor = _return_type("linalg_lu_factor", ("LU", "pivots"))
linalg_lu_factor_ex = _return_type("linalg_lu_factor_ex", ("LU", "pivots", "info"))
linalg_lu = _return_type("linalg_lu", ("P", "L", "U"))
lu_unpack = _return_type("lu_unpack", ("P", "L", "U"))
triangular_solve = _return_type("triangular_solve", ("solution", "cloned_coefficient"))
linalg_eig = _return_type("linalg_eig", ("eigenvalues", "eigenvectors"))
linalg_lstsq = _return_type("linalg_lstsq", ("solution", "residuals", "rank", "singular_values"))
linalg_ldl_factor = _return_type("linalg_ldl_factor", ("LD", "pivots"))
linalg_ldl_factor_ex = _return_type("linalg_ldl_factor_ex", ("LD", "pivots", "info"))
