"""torchvision.utils: make_grid (a batch of images as one tiled image) and save_image."""

import math

import ember


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Tile a (B, C, H, W) tensor (or a list of (C, H, W)) into one (3 or C, H', W') image:
    nrow images per row, `padding` pixels of `pad_value` between them.  With normalize, values
    are shifted and scaled to [0, 1] by value_range (default: the min and max)."""
    with ember.no_grad():
        if isinstance(tensor, (list, tuple)):
            tensor = ember.stack(list(tensor), dim=0)
        if not isinstance(tensor, ember.Tensor):
            raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
        if tensor.dim() == 2:
            tensor = tensor.unsqueeze(0)
        if tensor.dim() == 3:
            if tensor.shape[0] == 1:
                tensor = ember.cat((tensor, tensor, tensor), 0)
            tensor = tensor.unsqueeze(0)
        if tensor.dim() == 4 and tensor.shape[1] == 1:
            tensor = ember.cat((tensor, tensor, tensor), 1)
        if normalize:
            tensor = tensor.clone()
            if value_range is not None and not isinstance(value_range, tuple):
                raise TypeError("value_range has to be a tuple (min, max) if specified. min "
                                "and max are numbers")
            images = tensor if scale_each else [tensor]
            for image in images:
                low, high = value_range if value_range is not None else (
                    float(image.min()), float(image.max()))
                image.clamp_(min=low, max=high)
                image.sub_(low).div_(max(high - low, 1e-5))
        if tensor.shape[0] == 1:
            return tensor.squeeze(0)
        count = tensor.shape[0]
        xmaps = min(nrow, count)
        ymaps = int(math.ceil(float(count) / xmaps))
        height, width = int(tensor.shape[2] + padding), int(tensor.shape[3] + padding)
        grid = ember.full((tensor.shape[1], height * ymaps + padding, width * xmaps + padding),
                          pad_value, dtype=tensor.dtype, device=tensor.device)
        k = 0
        for y in range(ymaps):
            for x in range(xmaps):
                if k >= count:
                    break
                top, left = y * height + padding, x * width + padding
                grid[:, top:top + height - padding, left:left + width - padding] = tensor[k]
                k += 1
        return grid


def save_image(tensor, fp, format=None, **kwargs):
    """make_grid, then write it as an 8-bit image file with Pillow: round(255 * x), clamped."""
    from .transforms._functional_pil import Image, need_pil

    need_pil()
    grid = make_grid(tensor, **kwargs)
    with ember.no_grad():
        array = (grid * 255 + 0.5).clamp(0, 255).permute(1, 2, 0).to(ember.uint8).cpu().numpy()
    if array.shape[2] == 1:
        array = array[:, :, 0]
    Image.fromarray(array).save(fp, format=format)
