"""``ember.utils.summary``: a torchinfo-style table of a model's layers, shapes and sizes.

The numbers come from one real forward pass (in eval mode, under no_grad) with a forward
pre-hook and a forward hook on every module, the way torchinfo measures them:

- each module call is one row, in the order the calls start; a module called again is marked
  ``(recursive)`` and its parameters are counted once; a container that is never called itself
  (a ModuleList) gets a row above its first called child,
- "Layer (type:depth-idx)": the class name, its depth below the model and its position among the
  rows of that depth (counted over the whole table, as torchinfo does),
- output/input shape: of the first tensor the layer returned / received,
- Param #: the parameters of a layer without submodules; for a container, those it holds itself
  (``--`` when none); in parentheses when none of them is trainable,
- Mult-Adds of a layer without submodules: for ``weight``/``bias``, parameters x batch size, or
  parameters x output positions (batch and spatial sizes) for Conv layers; for an RNN's
  ``weight_ih_l0``-like parameters, parameters x the first two output sizes,
- totals: parameters (trainable / not), mult-adds, and the memory estimate in MB (10^6 bytes):
  input tensors, forward/backward (2 x the outputs of the layers with parameters), parameters.
"""

import math

from .. import _tensor
from ..autograd.grad_mode import no_grad

_HEADERS = {
    "kernel_size": "Kernel Shape",
    "input_size": "Input Shape",
    "output_size": "Output Shape",
    "num_params": "Param #",
    "params_percent": "Param %",
    "mult_adds": "Mult-Adds",
    "trainable": "Trainable",
}
_NEEDS_INPUT = {"input_size", "output_size", "mult_adds"}


class LayerInfo:
    """What the summary knows about one call of one module (one row of the table)."""

    def __init__(self, var_name, module, depth, parent):
        self.var_name = var_name
        self.module = module
        self.class_name = type(module).__name__
        self.depth = depth
        self.parent = parent
        self.depth_index = None
        self.children = []  # every row below this one that is deeper (set at the end)
        self.is_leaf = not any(True for _ in module.children())
        self.is_recursive = False
        self.input_size = []
        self.output_size = []
        self.output_bytes = 0
        self.macs = 0
        k = getattr(module, "kernel_size", None)
        self.kernel_size = list(k) if isinstance(k, (tuple, list)) else k
        self.num_params = self.trainable_params = self.param_bytes = 0
        for p in module.parameters():
            self.num_params += p.numel()
            self.param_bytes += p.numel() * p.element_size()
            if p.requires_grad:
                self.trainable_params += p.numel()

    def measure(self, inputs, outputs):
        """Record the shapes of one call and count its multiply-adds."""
        self.input_size, _ = _size_of(inputs)
        self.output_size, elem_bytes = _size_of(outputs)
        self.output_bytes = elem_bytes * math.prod(self.output_size)
        for name, p in self.module.named_parameters():
            if name in ("weight", "bias"):
                if "Conv" in self.class_name:  # each output position uses every weight once
                    self.macs += p.numel() * math.prod(self.output_size[:1] +
                                                       self.output_size[2:])
                else:
                    self.macs += p.numel() * (self.output_size[0] if self.output_size else 0)
            elif "weight" in name or "bias" in name:  # RNN weights: once per step and sample
                self.macs += p.numel() * math.prod(self.output_size[:2])

    @property
    def trainable(self):
        if self.num_params == 0:
            return "--"
        if self.trainable_params == 0:
            return "False"
        return "True" if self.trainable_params == self.num_params else "Partial"

    def leftover_params(self):
        """Parameters this layer holds itself, not counted in the rows below it."""
        return self.num_params - sum(c.num_params if c.is_leaf else c.leftover_params()
                                     for c in self.children if not c.is_recursive)

    def leftover_trainable_params(self):
        return self.trainable_params - sum(
            c.trainable_params if c.is_leaf else c.leftover_trainable_params()
            for c in self.children if not c.is_recursive)

    def name(self, show_var_name, show_depth):
        text = self.class_name
        if show_var_name and self.var_name:
            text += f" ({self.var_name})"
        if show_depth and self.depth > 0:
            text += f": {self.depth}"
            if self.depth_index is not None:
                text += f"-{self.depth_index}"
        return text

    def params_text(self, at_max_depth):
        if self.num_params == 0:
            return "--"
        if self.is_recursive:
            return "(recursive)"
        if at_max_depth or self.is_leaf:
            text = f"{self.num_params:,}"
            return text if self.trainable_params else f"({text})"
        left = self.leftover_params()
        return f"{left:,}" if left > 0 else "--"

    def percent_text(self, total, at_max_depth):
        if total == 0:
            return "     --"
        if self.is_recursive:
            return "(recursive)"
        params = self.num_params if at_max_depth or self.is_leaf else self.leftover_params()
        return f"{params / total:>7.2%}" if params else "     --"

    def macs_text(self, at_max_depth):
        if self.macs <= 0:
            return "--"
        if self.is_leaf:
            return f"{self.macs:,}"
        if at_max_depth:
            return f"{sum(c.macs for c in self.children if c.is_leaf):,}"
        return "--"


def _size_of(value):
    """The shape of the first tensor in ``value`` (a tensor, a tuple/list, a dict's last
    value, a PackedSequence's data) and the bytes of one of its elements."""
    Tensor = _tensor.Tensor
    while True:
        if isinstance(value, Tensor):
            return list(value.shape), value.element_size()
        if isinstance(value, dict) and value:
            value = list(value.values())[-1]
        elif isinstance(value, (tuple, list)) and value:
            first = value[0]
            value = first.data if isinstance(getattr(first, "data", None), Tensor) else first
        else:
            return [], 0


class ModelStatistics:
    """The result of ``summary``: its ``str`` is the table; totals are attributes."""

    def __init__(self, rows, input_bytes, has_input, col_names, col_width, max_depth,
                 row_settings):
        self.summary_list = rows
        self.total_input = input_bytes
        self.total_params = self.trainable_params = self.total_mult_adds = 0
        self.total_param_bytes = self.total_output_bytes = 0
        for row in rows:
            if row.is_leaf:
                self.total_mult_adds += row.macs
                if row.num_params > 0:
                    self.total_output_bytes += 2 * row.output_bytes  # outputs and their grads
                if row.is_recursive:
                    continue
                self.total_params += row.num_params
                self.trainable_params += row.trainable_params
                self.total_param_bytes += row.param_bytes
            elif not row.is_recursive:
                self.total_params += max(row.leftover_params(), 0)
                self.trainable_params += max(row.leftover_trainable_params(), 0)
        self._has_input = has_input
        self._cols = col_names
        self._col_width = col_width
        self._max_depth = max_depth
        self._settings = row_settings

    def _row(self, name, values, name_width):
        line = f"{name:<{name_width}} "
        for col in self._cols:
            line += f"{values.get(col, ''):<{self._col_width}} "
        return line.rstrip() + "\n"

    def __str__(self):
        ascii_only = "ascii_only" in self._settings
        show_var = "var_names" in self._settings
        show_depth = "depth" in self._settings
        name_width = 40
        longest = max((len(r.name(show_var, show_depth)) + r.depth * 5 + 1
                       for r in self.summary_list), default=0)
        if longest >= name_width:
            name_width = math.ceil(longest / 5) * 5
        divider = "=" * (len(self._cols) * self._col_width + name_width)
        header = "Layer (type" + (" (var_name)" if show_var else "") + \
                 (":depth-idx" if show_depth else "") + ")"
        text = f"{divider}\n{self._row(header, _HEADERS, name_width)}{divider}\n"
        for r in self.summary_list:
            if r.depth > self._max_depth or ("hide_recursive_layers" in self._settings and
                                             r.is_recursive):
                continue
            at_max = r.depth == self._max_depth
            values = {
                "kernel_size": str(r.kernel_size) if r.kernel_size else "--",
                "input_size": str(r.input_size) if r.input_size else "--",
                "output_size": str(r.output_size) if r.output_size else "--",
                "num_params": r.params_text(at_max),
                "params_percent": r.percent_text(self.total_params, at_max),
                "mult_adds": r.macs_text(at_max),
                "trainable": r.trainable,
            }
            text += self._row(_tree_prefix(r.depth, ascii_only) + r.name(show_var, show_depth),
                              values, name_width)
        text += (f"{divider}\nTotal params: {self.total_params:,}\n"
                 f"Trainable params: {self.trainable_params:,}\n"
                 f"Non-trainable params: {self.total_params - self.trainable_params:,}\n")
        if self._has_input:
            total = self.total_input + self.total_output_bytes + self.total_param_bytes
            text += (f"Total mult-adds {_readable(self.total_mult_adds)}\n{divider}\n"
                     f"Input size (MB): {self.total_input / 1e6:0.2f}\n"
                     f"Forward/backward pass size (MB): {self.total_output_bytes / 1e6:0.2f}\n"
                     f"Params size (MB): {self.total_param_bytes / 1e6:0.2f}\n"
                     f"Estimated Total Size (MB): {total / 1e6:0.2f}\n")
        return text + divider

    __repr__ = __str__


def _tree_prefix(depth, ascii_only):
    if depth == 0:
        return ""
    branch = "+ " if ascii_only else ("├─" if depth == 1 else "└─")
    return ("|    " if ascii_only else "│    ") * (depth - 1) + branch


def _readable(num):
    """'(M): 1.82' -- mult-adds in millions, billions (G) or trillions (T)."""
    unit, scale = ("T", 1e12) if num >= 1e12 else ("G", 1e9) if num >= 1e9 else ("M", 1e6)
    value = num / scale
    if value.is_integer():
        return f"({unit}): {int(value):,d}"
    return f"({unit}): {value:,.2f}"


def _inputs_from(input_size, input_data, dtypes, device, batch_dim):
    """The positional and keyword arguments of the forward pass."""
    from .._random import rand

    Tensor = _tensor.Tensor
    if input_data is not None:
        if isinstance(input_data, Tensor):
            return [input_data], {}
        if isinstance(input_data, dict):
            return [], dict(input_data)
        return list(input_data), {}
    if not isinstance(input_size, (list, tuple)):
        raise TypeError("Input_size is not a recognized type. Please ensure input_size is "
                        "valid.\nFor multiple inputs to the network, ensure input_size is a "
                        "list of tuple sizes.")
    sizes = [input_size] if all(isinstance(s, int) for s in input_size) else list(input_size)
    if any(s <= 0 for size in sizes for s in size):
        raise ValueError("Input_data is invalid, or negative size found in input_data.")
    dtypes = dtypes or [None] * len(sizes)
    args = []
    for size, dtype in zip(sizes, dtypes):
        x = rand(*size, device=device)
        if batch_dim is not None:
            x = x.unsqueeze(batch_dim)
        args.append(x if dtype is None else x.to(dtype))
    return args, {}


def summary(model, input_size=None, input_data=None, batch_dim=None, col_names=None,
            col_width=25, depth=3, device=None, dtypes=None, mode=None, row_settings=None,
            verbose=None):
    """A table of the model's layers with output shapes and parameter counts (torchinfo's).

    Args:
        model (nn.Module): the model.
        input_size (tuple or list of tuples, optional): shape(s) of random float inputs.
        input_data (tensor, list or dict, optional): the actual inputs (instead of sizes).
        batch_dim (int, optional): a dimension of size 1 inserted into each input_size.
        col_names (iterable of str): columns among "input_size", "output_size", "num_params",
            "params_percent", "kernel_size", "mult_adds", "trainable".
            Default: ("output_size", "num_params") with inputs, ("num_params",) without.
        col_width (int): width of each column. Default: 25.
        depth (int): deepest level of submodules shown. Default: 3.
        device: where to run the forward pass. Default: the parameters' device.
        dtypes (list of dtypes, optional): the dtypes of the inputs made from input_size.
        mode (str): "eval" (default) or "train" for the forward pass.
        row_settings (iterable of str): among "depth" (default), "var_names", "ascii_only",
            "hide_recursive_layers".
        verbose (int): 0 returns silently, 1 (default) also prints the table.

    Returns a ``ModelStatistics``: ``str()`` is the table, and ``total_params``,
    ``trainable_params``, ``total_mult_adds``, ``total_input``, ``total_output_bytes``,
    ``total_param_bytes`` hold the totals.
    """
    if input_data is not None and input_size is not None:
        raise RuntimeError("Only one of (input_data, input_size) should be specified.")
    has_input = input_data is not None or input_size is not None
    if col_names is None:
        col_names = ("output_size", "num_params") if has_input else ("num_params",)
    col_names = tuple(col_names)
    for col in col_names:
        if col not in _HEADERS:
            raise ValueError(f"'{col}' is not a valid column; choose from {list(_HEADERS)}")
    if not has_input and set(col_names) & _NEEDS_INPUT:
        raise ValueError("You must pass input_data or input_size in order to use columns: "
                         f"{set(col_names) & _NEEDS_INPUT}")
    if col_width <= 0:
        raise ValueError(f"Column width must be greater than 0: col_width={col_width}")
    verbose = 1 if verbose is None else verbose
    if verbose not in (0, 1, 2):
        raise ValueError("Verbose must be either 0 (quiet), 1 (default), or 2 (verbose).")
    row_settings = set(row_settings) if row_settings is not None else {"depth"}
    if device is None:
        first = next(iter(model.parameters()), None)
        device = first.device if first is not None else "cpu"

    rows, inputs = _run_with_hooks(model, has_input, input_size, input_data, dtypes, device,
                                   batch_dim, mode or "eval")
    counters = {}
    for i, row in enumerate(rows):
        counters[row.depth] = counters.get(row.depth, 0) + 1
        row.depth_index = counters[row.depth]
        below = []
        for other in rows[i + 1:]:
            if other.depth <= row.depth:
                break
            below.append(other)
        row.children = below
    input_bytes = sum(t.numel() * t.element_size() for t in inputs
                      if isinstance(t, _tensor.Tensor))
    stats = ModelStatistics(rows, input_bytes, has_input, col_names, col_width, depth,
                            row_settings)
    if verbose > 0:
        print(stats)
    return stats


def _run_with_hooks(model, has_input, input_size, input_data, dtypes, device, batch_dim, mode):
    """Rows for every module call of one forward pass (or every module, without input),
    and the inputs of that pass."""
    static = {}  # id(module) -> LayerInfo built from the module tree (parents of rows)
    order = []
    stack = [(type(model).__name__, model, 0, None)]
    while stack:
        var_name, module, level, parent = stack.pop()
        info = LayerInfo(var_name, module, level, parent)
        static[id(module)] = info
        order.append(info)
        children = [(n, m) for n, m in module._modules.items() if m is not None]
        stack += [(n, m, level + 1, info) for n, m in reversed(children)]
    if not has_input:
        return order, []

    rows = []
    called = {}  # id(module) -> the row of its latest call
    seen = set()

    def add_row(info):
        info.is_recursive = id(info.module) in seen
        seen.add(id(info.module))
        rows.append(info)

    def pre_hook(module, args):
        template = static[id(module)]
        info = LayerInfo(template.var_name, module, template.depth, template.parent)
        add_row(info)
        called[id(module)] = info

    def hook(module, args, output):
        called[id(module)].measure(args, output)

    handles = []
    for info in order:
        handles.append(info.module.register_forward_pre_hook(pre_hook))
        handles.append(info.module.register_forward_hook(hook))
    args, kwargs = _inputs_from(input_size, input_data, dtypes, device, batch_dim)
    was_training = model.training
    try:
        model.train(mode == "train")
        with no_grad():
            model(*args, **kwargs)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    return _add_uncalled_containers(rows, seen), list(args) + list(kwargs.values())


def _add_uncalled_containers(rows, seen):
    """Insert a row for each container (e.g. a ModuleList) whose children were called but
    which was not called itself, right above its first called child."""
    result = []
    current = {}  # depth -> the module shown last at that depth
    for row in rows:
        chain = []
        parent = row.parent
        while parent is not None and parent.depth > 0:
            chain.append(parent)
            parent = parent.parent
        for ancestor in reversed(chain):
            shown = current.get(ancestor.depth)
            if shown is None or shown is not ancestor.module:
                ancestor.is_recursive = id(ancestor.module) in seen
                seen.add(id(ancestor.module))
                result.append(ancestor)
                current[ancestor.depth] = ancestor.module
        result.append(row)
        current[row.depth] = row.module
        for deeper in [d for d in current if d > row.depth]:
            del current[deeper]
    return result
