"""The maths behind the layers, one file per family; ``ember.nn.functional`` re-exports them.

Each file checks arguments (with the friendly errors of ``ember._errors``) and calls the
differentiable primitives in ``ember.ops``.
"""
