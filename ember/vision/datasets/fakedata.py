"""FakeData: random images, the same for an index every time (seeded by the index)."""

import ember

from .vision import VisionDataset


class FakeData(VisionDataset):
    """Image i is randn(image_size) drawn after manual_seed(i + random_offset) (the global
    generator's state is restored afterwards), shown as a PIL image; the target is
    randint(0, num_classes) from the same seed."""

    def __init__(self, size=1000, image_size=(3, 224, 224), num_classes=10, transform=None,
                 target_transform=None, random_offset=0):
        super().__init__(None, transform=transform, target_transform=target_transform)
        self.size = size
        self.num_classes = num_classes
        self.image_size = image_size
        self.random_offset = random_offset

    def __getitem__(self, index):
        from ..transforms import functional as F

        if index >= len(self):
            raise IndexError(f"{self.__class__.__name__} index out of range")
        state = ember.get_rng_state()
        ember.manual_seed(index + self.random_offset)
        img = ember.randn(*self.image_size)
        target = ember.randint(0, self.num_classes, size=(1,), dtype=ember.long)[0]
        ember.set_rng_state(state)
        return self._apply(F.to_pil_image(img), target.item())

    def __len__(self):
        return self.size
