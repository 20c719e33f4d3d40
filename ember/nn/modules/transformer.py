"""Transformer, TransformerEncoder(Layer), TransformerDecoder(Layer)."""

__all__ = []
