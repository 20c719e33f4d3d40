"""The autocast policy: which ops run in lower precision, which in float32, which promote.

This one file is the whole policy.  Read it top to bottom:

1. torch 2.13's own lists, exactly as its dispatcher registers them (``AutocastCPU``: 127 names,
   ``AutocastCUDA``: 119), each with its policy.  They are the reference the tests hold ember to.
2. ``NODES``: ember's op classes (``Node`` subclasses) and the policy of each on 'cpu' and on
   'cuda'.  ``install()`` stores it on the class as ``_autocast``, so while autocast is on,
   ``Node.apply`` finds an op's policy with one attribute read (see autocast_mode.py).
3. ``FUNCTIONS``: entry points whose policy must apply before the function's own code runs:
   torch ops that ember writes as several smaller ops (cross_entropy is log_softmax, gather,
   sum, ...), and the products whose functions check that both operands have one dtype (a
   bfloat16 activation meets a float32 weight in every layer after the first).  Each gets a
   wrapper that casts the tensor arguments; while some thread has autocast on, the wrapper
   takes the function's place in every ember namespace that holds it (the Tensor class too),
   and the plain function comes back when autocast is off everywhere, so it costs nothing then.
   For FP32 and PROMOTE the function then runs with autocast paused, as torch runs a listed
   op's kernel below its autocast layer (so cdist's inner products stay float32).
4. ``WIDENED``: ember's own speed-up for the unlisted element-wise ops between the products
   (policy ``WIDEN`` below): same dtypes and values as torch, computed in float32.

The policies (torch's names in autocast_mode.h in brackets):

- ``LOWER`` [lower_precision_fp]: floating inputs are rounded to the region's dtype (bfloat16 on
  CPU, float16 on CUDA by default); the op computes in float32 on the rounded values; its result
  is rounded to the region's dtype.
- ``FP32`` [fp32, fp32_set_opt_dtype, fp32_append_dtype]: floating inputs are cast to float32.
- ``PROMOTE`` [promote]: float32 if the floating inputs' dtypes differ, else their own dtype.
- ``BANNED`` [banned]: raises torch's error (only binary_cross_entropy, on CUDA).
- ``None``: not listed; the op runs in whatever dtypes arrive.
- ``WIDEN`` (ember's, not a torch policy; the dtypes stay torch's): an unlisted op that runs in
  whatever dtypes arrive, but when every floating input is bfloat16 it computes on float32 copies
  and rounds its result to bfloat16 once, as torch's bfloat16 CPU kernels do.  NumPy computes
  bfloat16 through ml_dtypes' per-element loops (relu ~20x slower than on float32), and the
  activations of an autocast region are bfloat16, so the relu, max-pool and add chains between its
  products are listed here (section 4), forward and backward.  ``WIDEN_EXACT``: the same for
  ops whose results are input values (relu, max): already bfloat16 values, so no rounding.

Only floating tensors on the region's device that are not float64 are ever cast.
"""

LOWER = "lower"
FP32 = "fp32"
PROMOTE = "promote"
BANNED = "banned"
WIDEN = "widen"
WIDEN_EXACT = "widen exact"

# the package's own name ("ember"), for the dotted paths below: a renamed copy of the package
# (benchmarks/ab.py imports an old revision as ember_old) installs its policies on its own classes
_ROOT = __name__.split(".")[0]

# ---------------------------------------------------------------------------- 1. torch's lists

_CPU_LOWER = """
    _addmm_activation _convolution.deprecated _native_multi_head_attention addbmm addmm baddbmm
    bmm conv1d conv1d.padding conv2d conv2d.padding conv3d conv3d.padding conv_tbc
    conv_transpose1d conv_transpose2d.input conv_transpose3d.input linalg_vecdot linear matmul
    mkldnn_rnn_layer mm prelu scaled_dot_product_attention
"""
_CPU_PROMOTE = "cat index_copy stack"
_CPU_FP32 = """
    _grid_sampler_2d_cpu_fallback _lu_with_info adaptive_avg_pool3d adaptive_max_pool3d
    avg_pool3d binary_cross_entropy binary_cross_entropy_with_logits cdist cholesky
    cholesky_inverse cholesky_solve cosine_embedding_loss cross_entropy_loss ctc_loss.IntList
    ctc_loss.Tensor fake_quantize_per_tensor_affine fft_fft fft_fft2 fft_fftn fft_hfft fft_ifft
    fft_ifft2 fft_ifftn fft_ihfft fft_irfft fft_irfft2 fft_irfftn fft_rfft fft_rfft2 fft_rfftn
    fractional_max_pool2d fractional_max_pool3d geqrf grid_sampler grid_sampler_2d
    grid_sampler_3d hinge_embedding_loss huber_loss inverse kl_div l1_loss linalg_cholesky
    linalg_cholesky_ex linalg_cond linalg_cond.p_str linalg_eig linalg_eigh linalg_eigvals
    linalg_eigvalsh linalg_householder_product linalg_inv linalg_inv_ex linalg_lstsq
    linalg_matrix_rank linalg_matrix_rank.atol_rtol_float linalg_matrix_rank.atol_rtol_tensor
    linalg_matrix_rank.tol_tensor linalg_qr linalg_solve linalg_svd linalg_svdvals
    linalg_tensorinv linalg_tensorsolve lu_solve margin_ranking_loss max_pool3d max_unpool2d
    max_unpool3d mse_loss multi_margin_loss multilabel_margin_loss multilabel_margin_loss_forward
    nanquantile nanquantile.scalar nll_loss nll_loss2d orgqr ormqr pinverse poisson_nll_loss polar
    prod prod.dim_int qr quantile quantile.scalar reflection_pad1d reflection_pad2d
    replication_pad1d replication_pad2d replication_pad3d smooth_l1_loss soft_margin_loss stft
    stft.center svd trace triangular_solve triplet_margin_loss view_as_complex
"""

_CUDA_LOWER = """
    _convolution _convolution.deprecated _scaled_dot_product_flash_attention _thnn_fused_gru_cell
    _thnn_fused_lstm_cell addbmm addmm addmv addr baddbmm bmm chain_matmul conv1d conv2d conv3d
    conv_tbc conv_transpose1d conv_transpose2d.input conv_transpose3d.input convolution
    cudnn_convolution cudnn_convolution_transpose einsum gru_cell linalg_multi_dot linalg_vecdot
    linear lstm_cell matmul mm mv prelu rnn_relu_cell rnn_tanh_cell scaled_dot_product_attention
"""
# fp32 proper, then fp32_set_opt_dtype (float32 unless the call gives dtype=) and
# fp32_append_dtype (norm without a dtype): all three make float32 results
_CUDA_FP32 = """
    _upsample_bicubic2d_aa _upsample_bilinear2d_aa _upsample_nearest_exact1d
    _upsample_nearest_exact2d _upsample_nearest_exact3d acos asin binary_cross_entropy_with_logits
    cdist cosh cosine_embedding_loss cosine_similarity dist erfinv exp expm1 frobenius_norm.dim
    group_norm hinge_embedding_loss huber_loss kl_div l1_loss layer_norm log log10 log1p log2
    logsumexp margin_ranking_loss mse_loss multi_margin_loss multilabel_margin_loss
    native_layer_norm nll_loss nll_loss2d nuclear_norm nuclear_norm.dim pdist poisson_nll_loss
    pow.Scalar pow.Tensor_Scalar pow.Tensor_Tensor reciprocal renorm rms_norm rsqrt sinh
    smooth_l1_loss soft_margin_loss softplus tan triplet_margin_loss upsample_bicubic2d
    upsample_bilinear2d upsample_linear1d upsample_nearest1d upsample_nearest2d upsample_nearest3d
    upsample_trilinear3d
    cumprod cumsum linalg_matrix_norm linalg_matrix_norm.str_ord linalg_vector_norm
    log_softmax.int prod prod.dim_int softmax.int sum sum.dim_IntList
    norm.Scalar norm.ScalarOpt_dim
"""
_CUDA_PROMOTE = "addcdiv addcmul atan2 bilinear cross dot grid_sampler index_put scatter_add " \
                "tensordot vdot"
_CUDA_BANNED = "binary_cross_entropy"


def _table(*groups):
    table = {}
    for names, policy in groups:
        for name in names.split():
            table[name] = policy
    return table


TORCH_CPU = _table((_CPU_LOWER, LOWER), (_CPU_PROMOTE, PROMOTE), (_CPU_FP32, FP32))
TORCH_CUDA = _table((_CUDA_LOWER, LOWER), (_CUDA_FP32, FP32), (_CUDA_PROMOTE, PROMOTE),
                    (_CUDA_BANNED, BANNED))

BANNED_MESSAGE = (
    "torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are unsafe to autocast.\n"
    "Many models use a sigmoid layer right before the binary cross entropy layer.\n"
    "In this case, combine the two layers using "
    "torch.nn.functional.binary_cross_entropy_with_logits\n"
    "or torch.nn.BCEWithLogitsLoss.  binary_cross_entropy_with_logits and BCEWithLogits are\n"
    "safe to autocast.")

# ---------------------------------------------------------------------------- 2. ember's nodes
# node class: (policy on cpu, policy on cuda)    # the torch ops it is

NODES = {
    "ops.linalg.Matmul": (LOWER, LOWER),  # matmul mm bmm chain_matmul multi_dot (and mv dot)
    "ops.linalg.Addmm": (LOWER, LOWER),  # addmm
    "ops.linalg.Linear": (LOWER, LOWER),  # linear with a bias
    "ops.linalg.AddScaled": (LOWER, LOWER),  # the add of addbmm baddbmm addmv
    "ops.conv.Conv": (LOWER, LOWER),  # conv1d conv2d conv3d
    "ops.conv.ConvTranspose": (LOWER, LOWER),  # conv_transpose1d/2d/3d
    "ops.conv.ConvWeight": (LOWER, LOWER),  # the weight gradient of a convolution
    "ops.linalg.MmTransposed": (LOWER, LOWER),  # the weight gradient of linear (an mm)
    "ops.einsum.Einsum": (LOWER, LOWER),  # einsum (CPU: lowered through bmm, so lower too)
    "ops.attention.ScaledDotProductAttention": (LOWER, LOWER),  # scaled_dot_product_attention
    "ops.join.Cat": (PROMOTE, None),  # cat
    "ops.join.Stack": (PROMOTE, None),  # stack
    "ops.index_dim.IndexCopy": (PROMOTE, None),  # index_copy
    "ops.nn.MseLoss": (FP32, FP32),  # mse_loss
    "ops.nn.Softmax": (None, FP32),  # softmax
    "ops.nn.LogSoftmax": (None, FP32),  # log_softmax
    "ops.spectral.FFT": (FP32, None),  # fft_fft fft_ifft fft_fft2 fft_fftn ...
    "ops.spectral.RFFT": (FP32, None),  # fft_rfft fft_rfft2 fft_rfftn fft_ihfft
    "ops.spectral.IRFFT": (FP32, None),  # fft_irfft fft_irfft2 fft_irfftn fft_hfft
    "ops.decompositions.Cholesky": (FP32, None),  # cholesky linalg_cholesky(_ex)
    "ops.decompositions.QR": (FP32, None),  # qr linalg_qr
    "ops.decompositions.SVD": (FP32, None),  # svd linalg_svd linalg_svdvals
    "ops.decompositions.Eigh": (FP32, None),  # linalg_eigh linalg_eigvalsh
    "ops.decompositions.Pinv": (FP32, None),  # pinverse
    "ops.inverse.Inv": (FP32, None),  # inverse linalg_inv(_ex)
    "ops.inverse.Solve": (FP32, None),  # linalg_solve
    "ops.reduction.Logsumexp": (None, FP32),  # logsumexp
    "ops.norms.VectorNorm": (None, FP32),  # linalg_vector_norm norm
    "ops.normalization.Normalize": (None, FP32),  # layer_norm native_layer_norm
    "ops.floating.Exp": (None, FP32),  # exp
    "ops.floating.Expm1": (None, FP32),  # expm1
    "ops.floating.Log": (None, FP32),  # log
    "ops.floating.Log2": (None, FP32),  # log2
    "ops.floating.Log10": (None, FP32),  # log10
    "ops.floating.Log1p": (None, FP32),  # log1p
    "ops.floating.Rsqrt": (None, FP32),  # rsqrt
    "ops.floating.Erfinv": (None, FP32),  # erfinv
    "ops.trig.Tan": (None, FP32),  # tan
    "ops.trig.Asin": (None, FP32),  # asin
    "ops.trig.Acos": (None, FP32),  # acos
    "ops.trig.Sinh": (None, FP32),  # sinh
    "ops.trig.Cosh": (None, FP32),  # cosh
    "ops.unary.Reciprocal": (None, FP32),  # reciprocal
    "ops.binary.PowScalar": (None, FP32),  # pow.Tensor_Scalar
    "ops.binary.Pow": (None, FP32),  # pow.Tensor_Tensor
    "ops.pointwise.Addcmul": (None, PROMOTE),  # addcmul
    "ops.pointwise.Addcdiv": (None, PROMOTE),  # addcdiv
    "ops.binary_math.Atan2": (None, PROMOTE),  # atan2
    "ops.linalg.Cross": (None, PROMOTE),  # cross
    "ops.scatter.ScatterAdd": (None, PROMOTE),  # scatter_add
    "ops.indexing.IndexPut": (None, PROMOTE),  # index_put
}

# ---------------------------------------------------------------------------- 3. ember's functions
# function (found in the module named first): (policy on cpu, policy on cuda)

FUNCTIONS = {
    "nn.functional.linear": (LOWER, LOWER),
    "matmul": (LOWER, LOWER),  # also Tensor.__matmul__ and Tensor.matmul
    "mm": (LOWER, LOWER),
    "bmm": (LOWER, LOWER),
    "addmm": (LOWER, LOWER),
    "addbmm": (LOWER, LOWER),
    "baddbmm": (LOWER, LOWER),
    "addmv": (None, LOWER),
    "addr": (None, LOWER),
    "mv": (None, LOWER),
    "chain_matmul": (LOWER, LOWER),  # CPU: through mm
    "linalg.multi_dot": (LOWER, LOWER),  # CPU: through mm
    "einsum": (LOWER, LOWER),  # CPU: through bmm
    "nn.functional.conv1d": (LOWER, LOWER),
    "nn.functional.conv2d": (LOWER, LOWER),
    "nn.functional.conv3d": (LOWER, LOWER),
    "nn.functional.conv_transpose1d": (LOWER, LOWER),
    "nn.functional.conv_transpose2d": (LOWER, LOWER),
    "nn.functional.conv_transpose3d": (LOWER, LOWER),
    "nn.functional.scaled_dot_product_attention": (LOWER, LOWER),
    "nn.functional.prelu": (LOWER, LOWER),
    "linalg.vecdot": (LOWER, LOWER),
    "nn.functional.l1_loss": (FP32, FP32),
    "nn.functional.smooth_l1_loss": (FP32, FP32),
    "nn.functional.huber_loss": (FP32, FP32),
    "nn.functional.kl_div": (FP32, FP32),
    "nn.functional.nll_loss": (FP32, FP32),
    "nn.functional.cross_entropy": (FP32, FP32),  # CUDA: its log_softmax and nll_loss are
    "nn.functional.binary_cross_entropy": (FP32, BANNED),
    "nn.functional.binary_cross_entropy_with_logits": (FP32, FP32),
    "nn.functional.cosine_embedding_loss": (FP32, FP32),
    "nn.functional.hinge_embedding_loss": (FP32, FP32),
    "nn.functional.poisson_nll_loss": (FP32, FP32),
    "nn.functional.margin_ranking_loss": (FP32, FP32),
    "nn.functional.soft_margin_loss": (FP32, FP32),
    "nn.functional.triplet_margin_loss": (FP32, FP32),
    "nn.functional.multi_margin_loss": (FP32, FP32),
    "nn.functional.multilabel_margin_loss": (FP32, FP32),
    "nn.functional.ctc_loss": (FP32, None),
    "nn.functional.avg_pool3d": (FP32, None),
    "nn.functional.max_pool3d": (FP32, None),
    "nn.functional.adaptive_avg_pool3d": (FP32, None),
    "nn.functional.adaptive_max_pool3d": (FP32, None),
    "nn.functional.group_norm": (None, FP32),
    "nn.functional.rms_norm": (None, FP32),
    "nn.functional.softplus": (None, FP32),
    "nn.functional.cosine_similarity": (None, FP32),
    "nn.functional.interpolate": (None, FP32),  # upsample_* (CUDA)
    "nn.functional.bilinear": (None, PROMOTE),
    # fp32_set_opt_dtype: these nodes take their result dtype when made, from the input's
    "sum": (None, FP32),
    "prod": (FP32, FP32),
    "cumsum": (None, FP32),
    "cumprod": (None, FP32),
    "linalg.vector_norm": (None, FP32),
    "linalg.matrix_norm": (None, FP32),
    "norm": (None, FP32),
    # the functions check their operands' dtypes (or refuse 16-bit floats) before the node
    "index_copy": (PROMOTE, None),
    "fft.fft": (FP32, None),
    "fft.ifft": (FP32, None),
    "fft.fft2": (FP32, None),
    "fft.ifft2": (FP32, None),
    "fft.fftn": (FP32, None),
    "fft.ifftn": (FP32, None),
    "fft.rfft": (FP32, None),
    "fft.irfft": (FP32, None),
    "fft.rfft2": (FP32, None),
    "fft.irfft2": (FP32, None),
    "fft.rfftn": (FP32, None),
    "fft.irfftn": (FP32, None),
    "fft.hfft": (FP32, None),
    "fft.ihfft": (FP32, None),
    "stft": (FP32, None),
    "inverse": (FP32, None),
    "svd": (FP32, None),
    "qr": (FP32, None),
    "cholesky": (FP32, None),
    "pinverse": (FP32, None),
    "cholesky_solve": (FP32, None),
    "cholesky_inverse": (FP32, None),
    "lu_solve": (FP32, None),
    "triangular_solve": (FP32, None),
    "orgqr": (FP32, None),
    "linalg.solve": (FP32, None),
    "linalg.inv": (FP32, None),
    "linalg.inv_ex": (FP32, None),
    "linalg.svd": (FP32, None),
    "linalg.svdvals": (FP32, None),
    "linalg.qr": (FP32, None),
    "linalg.cholesky": (FP32, None),
    "linalg.cholesky_ex": (FP32, None),
    "linalg.eigh": (FP32, None),
    "linalg.eigvalsh": (FP32, None),
    "linalg.eig": (FP32, None),
    "linalg.eigvals": (FP32, None),
    "linalg.lstsq": (FP32, None),
    "linalg.matrix_rank": (FP32, None),
    "linalg.cond": (FP32, None),
    "linalg.tensorinv": (FP32, None),
    "linalg.tensorsolve": (FP32, None),
    "linalg.householder_product": (FP32, None),
    "cdist": (FP32, FP32),
    "dist": (None, FP32),
    "trace": (FP32, None),
    "polar": (FP32, None),
    "quantile": (FP32, None),
    "nanquantile": (FP32, None),
    "tensordot": (None, PROMOTE),
    "dot": (None, PROMOTE),
    "vdot": (None, PROMOTE),
}


# ---------------------------------------------------------------------------- 4. WIDEN (ember's)
# node classes that compute on float32 copies of bfloat16 inputs, on the CPU (see WIDEN above):
# the element-wise ops between an autocast region's products, and their gradients.  Only ops
# whose result is made of new values belong here (never a view: the copies would break it).

WIDENED = {
    "ops.clamping.Relu": WIDEN_EXACT,  # relu
    "ops.clamping.ReluGrad": WIDEN_EXACT,  # relu's gradient: grad or 0
    "ops.pooling.MaxPool": WIDEN_EXACT,  # max_pool*d
    "ops.pooling.PoolGather": WIDEN_EXACT,  # max-pooling's double backward
    "ops.pooling.PoolScatter": WIDEN,  # max-pooling's gradient: overlapping windows add up
    # (windows that do not overlap only move values: the node says so, ``moves_values``)
    "ops.binary.Add": WIDEN,  # residual adds, gradient sums
    "ops.binary.Sub": WIDEN,
    "ops.binary.Mul": WIDEN,  # masks (dropout), scales
}


def _resolve(path):
    """('ember.'-relative dotted path) -> (owning module, attribute name, object)."""
    import importlib

    module_name, _, name = (_ROOT + "." + path).rpartition(".")
    module = importlib.import_module(module_name)
    return module, name, getattr(module, name)


def install():
    """Put the policies where the dispatch reads them: on each node class (``_autocast``, a
    {device type: policy} dict).  ember/__init__.py calls this once, last."""
    for path, (cpu, cuda) in NODES.items():
        _, _, cls = _resolve(path)
        cls._autocast = {"cpu": cpu, "cuda": cuda}
    for path, widen in WIDENED.items():
        _, _, cls = _resolve(path)
        cls._autocast = {"cpu": widen, "cuda": None}


def function_swaps(wrap_function):
    """The swaps autocast makes for the functions: (namespace, name, plain function, wrapper)
    for every ember namespace holding one (``wrap_function(fn, policies)`` makes the wrapper).
    NOTE: made the first time autocast is turned on, not at import: finding every name bound
    to each function means reading every ember namespace (~0.1 s, a fifth of import ember)."""
    holders = {}  # id(function) -> [(namespace, name)]
    for namespace in _namespaces():
        for name, value in list(vars(namespace).items()):
            if callable(value):
                holders.setdefault(id(value), []).append((namespace, name))
    swaps = []
    for path, (cpu, cuda) in FUNCTIONS.items():
        _, _, fn = _resolve(path)
        wrapper = wrap_function(fn, {"cpu": cpu, "cuda": cuda})
        for namespace, name in holders.get(id(fn), ()):
            if vars(namespace).get(name) is fn:
                swaps.append((namespace, name, fn, wrapper))
    return swaps


def _namespaces():
    """The modules (and the Tensor class) through which programs reach a function."""
    import sys

    from .. import _tensor

    modules = [m for name, m in list(sys.modules.items())
               if m is not None and (name == _ROOT or name.startswith(_ROOT + "."))]
    return modules + [_tensor.Tensor]
