"""The differentiable primitives, one file per family (see docs/architecture.md)."""
