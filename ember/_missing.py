"""The error for a PyTorch name ember lacks: ``ember.foo`` (``torch.foo``), ``nn.Foo``,
``F.foo``, ``torchvision.models.foo``...

The namespaces scripts use most define a module-level ``__getattr__`` that raises it; Python
calls that function only when normal lookup fails, so existing names cost nothing more.
"""


def torch_name(module, name):
    """'ember.nn', 'Foo' -> 'torch.nn.Foo'; 'ember.vision.models', 'x' -> 'torchvision.models.x'."""
    if module == "ember.vision" or module.startswith("ember.vision."):
        return "torchvision" + module[len("ember.vision"):] + "." + name
    return "torch" + module[len("ember"):] + "." + name


def missing_name(module, name):
    """AttributeError: module ``module`` has no ``name``, with torch's spelling and the checker
    that lists every such name of a script."""
    message = f"module '{module}' has no attribute '{name}'"
    if name.startswith("__"):
        return AttributeError(message)  # Python's own probes (__wrapped__, __path__, ...)
    return AttributeError(
        f"{message} ({torch_name(module, name)}): ember lacks this PyTorch name; run python -m "
        f"ember.check script.py to list every torch name a script uses that ember lacks")
