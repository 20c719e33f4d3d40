"""``ember.layout``: the class of tensor layouts, as torch.layout.  ember has one layout,
``ember.strided`` (dense memory addressed by strides); torch's sparse and mkldnn layouts are
named gaps.  A layout also compares equal to its name ("strided"), which older ember code
used."""

__all__ = ["layout", "strided"]


class layout:
    """A tensor layout; printed as ``ember.strided`` (torch: ``torch.strided``)."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return "ember." + self.name  # as ember.float32 (torch: torch.strided)

    def __eq__(self, other):
        if isinstance(other, layout):
            return other.name == self.name
        return other == self.name if isinstance(other, str) else NotImplemented

    def __hash__(self):
        return hash(self.name)

    def __reduce__(self):
        return self.name  # a singleton: pickled as the module attribute


strided = layout("strided")
