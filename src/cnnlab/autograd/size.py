"""``Size``: the shape of a tensor, a tuple that prints as PyTorch prints it."""


class Size(tuple):
    """A tuple of dimension lengths; ``t.shape == (1, 3, 32, 32)`` holds as for any tuple."""

    def __repr__(self) -> str:
        return f"cnnlab.Size({list(self)})"

    def numel(self) -> int:
        total = 1
        for n in self:
            total *= n
        return total
