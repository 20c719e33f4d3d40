"""Family tables of the op test table; each module defines OPS (a list of OpInfo)."""
