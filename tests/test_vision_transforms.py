"""ember.vision.transforms and utils against torch's arithmetic, Pillow and torch's generator."""

import colorsys
import math

import numpy as np
import pytest
import torch

import ember
from ember.vision import transforms as T
from ember.vision import utils as vutils
from ember.vision.transforms import functional as VF

Image = pytest.importorskip("PIL.Image")


def _rgb(h=7, w=9, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(h, w, 3), dtype=np.uint8)


def _np(t):
    return t.detach().cpu().numpy()


def test_to_tensor_and_pil_to_tensor():
    a = _rgb()
    x = T.ToTensor()(Image.fromarray(a))
    assert x.dtype == ember.float32 and tuple(x.shape) == (3, 7, 9)
    np.testing.assert_allclose(_np(x), a.transpose(2, 0, 1).astype(np.float32) / 255, rtol=1e-6)
    p = T.PILToTensor()(Image.fromarray(a))
    assert p.dtype == ember.uint8 and (_np(p) == a.transpose(2, 0, 1)).all()
    gray = T.ToTensor()(Image.fromarray(a[:, :, 0]))
    assert tuple(gray.shape) == (1, 7, 9)
    np.testing.assert_allclose(_np(T.ToTensor()(a)), _np(x))
    with pytest.raises(TypeError):
        T.ToTensor()([1, 2, 3])


def test_to_pil_image_roundtrip_and_modes():
    a = _rgb()
    img = T.ToPILImage()(T.PILToTensor()(Image.fromarray(a)))
    assert img.mode == "RGB" and (np.asarray(img) == a).all()
    assert T.ToPILImage()(ember.rand(1, 4, 5)).mode == "L"
    assert T.ToPILImage()(ember.rand(4, 4, 5)).mode == "RGBA"
    x = ember.tensor([[[0.0, 0.5, 1.0]]])
    assert np.asarray(T.ToPILImage()(x)).tolist() == [[0, 127, 255]]


@pytest.mark.parametrize("dtype", [ember.float32, ember.float64])
def test_normalize_matches_torch_math(dtype):
    x = ember.rand(2, 3, 4, 5, dtype=dtype)
    mean, std = [0.1, 0.2, 0.3], [0.5, 0.25, 2.0]
    out = T.Normalize(mean, std)(x)
    tx = torch.from_numpy(_np(x))
    expect = (tx - torch.tensor(mean, dtype=tx.dtype).view(-1, 1, 1)) / torch.tensor(
        std, dtype=tx.dtype).view(-1, 1, 1)
    np.testing.assert_allclose(_np(out), expect.numpy(), rtol=1e-6)
    assert out.dtype == dtype
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        T.Normalize(mean, std)(ember.zeros(3, 2, 2, dtype=ember.uint8))
    with pytest.raises(ValueError, match="std evaluated to zero"):
        T.Normalize(mean, [1.0, 0.0, 1.0])(x)
    assert repr(T.Normalize(mean, std)) == f"Normalize(mean={mean}, std={std})"


@pytest.mark.parametrize("size", [(3, 4), (11, 14), (5, 13)])
@pytest.mark.parametrize("antialias", [False, True])
def test_resize_bilinear_matches_torch_interpolate(size, antialias):
    x = ember.rand(2, 3, 7, 9, dtype=ember.float64)
    out = T.Resize(size, antialias=antialias)(x)
    expect = torch.nn.functional.interpolate(torch.from_numpy(_np(x)), size=size,
                                             mode="bilinear", align_corners=False,
                                             antialias=antialias)
    np.testing.assert_allclose(_np(out), expect.numpy(), rtol=1e-10, atol=1e-12)


def test_resize_nearest_and_shorter_edge_rule():
    x = ember.rand(3, 8, 12)
    out = T.Resize((5, 7), interpolation=T.InterpolationMode.NEAREST)(x)
    expect = torch.nn.functional.interpolate(torch.from_numpy(_np(x))[None], size=(5, 7),
                                             mode="nearest")[0]
    np.testing.assert_array_equal(_np(out), expect.numpy())
    assert tuple(T.Resize(4)(x).shape) == (3, 4, 6)
    assert T.Resize(4)(Image.fromarray(_rgb(8, 12))).size == (6, 4)
    assert tuple(T.Resize(4, max_size=5)(x).shape) == (3, 3, 5)
    u8 = T.PILToTensor()(Image.fromarray(_rgb(8, 12)))
    assert T.Resize(4)(u8).dtype == ember.uint8


def test_crops_and_pad():
    a = _rgb(6, 8)
    x = T.PILToTensor()(Image.fromarray(a))
    img = Image.fromarray(a)
    c = T.CenterCrop(4)
    assert (_np(c(x)) == np.asarray(c(img)).transpose(2, 0, 1)).all()
    big = T.CenterCrop((8, 10))(x)
    assert tuple(big.shape) == (3, 8, 10) and (_np(big)[:, 1:7, 1:9] == _np(x)).all()
    for mode in ["constant", "edge", "reflect", "symmetric"]:
        padded = T.Pad((1, 2, 3, 1), fill=0, padding_mode=mode)
        expect = np.pad(a, ((2, 1), (1, 3), (0, 0)), mode=mode)
        assert (_np(padded(x)) == expect.transpose(2, 0, 1)).all(), mode
        assert (np.asarray(padded(img)) == expect).all(), mode
    crops = T.FiveCrop(3)(x)
    assert len(crops) == 5 and (_np(crops[3]) == _np(x)[:, 3:, 5:]).all()
    ten = T.TenCrop(3)(x)
    assert len(ten) == 10 and (_np(ten[5]) == _np(x.flip(-1))[:, :3, :3]).all()
    with pytest.raises(ValueError):
        T.FiveCrop(10)(x)


def test_random_crop_follows_torch_generator():
    x = ember.rand(3, 10, 12)
    ember.manual_seed(5)
    out = T.RandomCrop(4, padding=1)(x)
    torch.manual_seed(5)
    i = torch.randint(0, 12 - 4 + 1, size=(1,)).item()
    j = torch.randint(0, 14 - 4 + 1, size=(1,)).item()
    padded = np.pad(_np(x), ((0, 0), (1, 1), (1, 1)))
    np.testing.assert_array_equal(_np(out), padded[:, i:i + 4, j:j + 4])
    assert tuple(T.RandomCrop(12, pad_if_needed=True)(x).shape) == (3, 12, 12)
    with pytest.raises(ValueError, match="Required crop size"):
        T.RandomCrop(20)(x)


def test_random_resized_crop_params_follow_torch():
    x = ember.rand(3, 20, 30)
    ember.manual_seed(3)
    got = T.RandomResizedCrop.get_params(x, (0.08, 1.0), (3 / 4, 4 / 3))
    torch.manual_seed(3)
    for _ in range(10):
        area = 600 * torch.empty(1).uniform_(0.08, 1.0).item()
        ratio = math.exp(torch.empty(1).uniform_(math.log(3 / 4), math.log(4 / 3)).item())
        w, h = int(round(math.sqrt(area * ratio))), int(round(math.sqrt(area / ratio)))
        if 0 < w <= 30 and 0 < h <= 20:
            i = torch.randint(0, 20 - h + 1, size=(1,)).item()
            j = torch.randint(0, 30 - w + 1, size=(1,)).item()
            break
    assert got == (i, j, h, w)
    assert tuple(T.RandomResizedCrop((5, 6))(x).shape) == (3, 5, 6)


def test_flips_and_seeded_repeat():
    x = ember.rand(2, 3, 4, 5)
    assert (_np(T.RandomHorizontalFlip(1.0)(x)) == _np(x)[..., ::-1]).all()
    assert (_np(T.RandomVerticalFlip(1.0)(x)) == _np(x)[..., ::-1, :]).all()
    assert T.RandomHorizontalFlip(0.0)(x) is x
    img = Image.fromarray(_rgb())
    assert (np.asarray(T.RandomHorizontalFlip(1.0)(img)) == _rgb()[:, ::-1]).all()
    pipeline = T.Compose([T.RandomResizedCrop(5), T.RandomHorizontalFlip(),
                          T.ColorJitter(0.3, 0.3, 0.3, 0.1), T.RandomErasing(0.5)])
    ember.manual_seed(11)
    first = _np(pipeline(ember.rand(3, 9, 9)))
    ember.manual_seed(11)
    assert (_np(pipeline(ember.rand(3, 9, 9))) == first).all()


def test_rotate_90_matches_rot90_on_tensor_and_pil():
    a = _rgb(6, 6)
    x = T.PILToTensor()(Image.fromarray(a))
    rotated = VF.rotate(x, 90.0)
    expect = np.rot90(a, k=1, axes=(0, 1))  # counter-clockwise
    assert (_np(rotated) == expect.transpose(2, 0, 1)).all()
    assert (np.asarray(VF.rotate(Image.fromarray(a), 90.0)) == expect).all()
    shifted = VF.affine(x, 0.0, [2, 1], 1.0, [0.0, 0.0])
    assert (_np(shifted)[:, 1:, 2:] == _np(x)[:, :-1, :-2]).all()
    assert (_np(shifted)[:, 0] == 0).all()
    filled = VF.affine(x.float(), 0.0, [2, 0], 1.0, 0.0, fill=[1.0, 2.0, 3.0])
    assert (_np(filled)[:, :, :2] == np.array([1.0, 2.0, 3.0])[:, None, None]).all()
    assert tuple(T.RandomAffine(15, (0.1, 0.1), (0.9, 1.1), 5)(x).shape) == (3, 6, 6)


def test_color_adjustments_against_numpy_and_colorsys():
    x = ember.rand(3, 4, 5, dtype=ember.float64)
    a = _np(x)
    gray = 0.2989 * a[0] + 0.587 * a[1] + 0.114 * a[2]
    np.testing.assert_allclose(_np(VF.rgb_to_grayscale(x))[0], gray, rtol=1e-12)
    np.testing.assert_allclose(_np(VF.adjust_brightness(x, 1.5)), np.clip(a * 1.5, 0, 1))
    np.testing.assert_allclose(_np(VF.adjust_contrast(x, 0.5)),
                               np.clip(0.5 * a + 0.5 * gray.mean(), 0, 1), rtol=1e-12)
    np.testing.assert_allclose(_np(VF.adjust_saturation(x, 0.3)),
                               np.clip(0.3 * a + 0.7 * gray, 0, 1), rtol=1e-12)
    hue = _np(VF.adjust_hue(x, 0.2))
    for r in range(4):
        for c in range(5):
            h, s, v = colorsys.rgb_to_hsv(*a[:, r, c])
            np.testing.assert_allclose(hue[:, r, c], colorsys.hsv_to_rgb((h + 0.2) % 1, s, v),
                                       rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="hue_factor"):
        VF.adjust_hue(x, 0.7)
    g = T.Grayscale(3)(Image.fromarray(_rgb()))
    assert g.mode == "RGB"
    assert T.RandomGrayscale(1.0)(x).shape == x.shape


def test_gaussian_blur_matches_torch_conv():
    x = ember.rand(3, 8, 9, dtype=ember.float64)
    out = VF.gaussian_blur(x, [3, 5], [0.8, 1.3])
    tx = torch.from_numpy(_np(x))[None]

    def kernel(k, s):
        t = torch.linspace(-(k - 1) / 2, (k - 1) / 2, k, dtype=torch.float64)
        g = torch.exp(-0.5 * (t / s) ** 2)
        return g / g.sum()

    kx, ky = kernel(3, 0.8), kernel(5, 1.3)
    k2d = (ky[:, None] * kx[None, :]).expand(3, 1, 5, 3)
    padded = torch.nn.functional.pad(tx, (1, 1, 2, 2), mode="reflect")
    expect = torch.nn.functional.conv2d(padded, k2d, groups=3)[0]
    np.testing.assert_allclose(_np(out), expect.numpy(), rtol=1e-10)
    assert T.GaussianBlur(3)(Image.fromarray(_rgb())).size == (9, 7)
    with pytest.raises(ValueError):
        VF.gaussian_blur(x, 4)


def test_random_erasing_and_apply_choice_lambda():
    x = ember.ones(3, 10, 10)
    out = T.RandomErasing(p=1.0, value=0)(x)
    assert float(out.sum()) < 300 and float(x.sum()) == 300
    assert T.RandomApply([T.Lambda(lambda t: t * 0)], p=0.0)(x) is x
    assert float(T.RandomApply([T.Lambda(lambda t: t * 0)], p=1.0)(x).sum()) == 0
    assert float(T.RandomChoice([T.Lambda(lambda t: t * 2)])(x).sum()) == 600
    with pytest.raises(TypeError):
        T.Lambda(3)


@pytest.mark.parametrize("dtype", [ember.uint8, ember.float64])
def test_convert_image_dtype(dtype):
    u8 = ember.tensor([0, 128, 255], dtype=ember.uint8)
    f = T.ConvertImageDtype(ember.float32)(u8)
    np.testing.assert_allclose(_np(f), np.array([0, 128, 255]) / 255, rtol=1e-6)
    back = T.ConvertImageDtype(ember.uint8)(f)
    assert _np(back).tolist() == [0, 128, 255]
    assert T.ConvertImageDtype(dtype)(u8).dtype == dtype


def test_make_grid_and_save_image(tmp_path):
    x = ember.rand(5, 3, 4, 6)
    grid = vutils.make_grid(x, nrow=2, padding=1, pad_value=0.5)
    assert tuple(grid.shape) == (3, 3 * 5 + 1, 2 * 7 + 1)
    g = _np(grid)
    assert (g[:, 1:5, 8:14] == _np(x[1])).all() and (g[:, 0, :] == 0.5).all()
    assert (g[:, 11:15, 8:14] == 0.5).all()  # the empty sixth cell
    assert tuple(vutils.make_grid(ember.rand(4, 1, 2, 2)).shape) == (3, 6, 4 * 4 + 2)
    n = _np(vutils.make_grid(x * 4 - 1, normalize=True))
    assert n.min() == 0.0 and n.max() == pytest.approx(1.0)
    path = tmp_path / "grid.png"
    vutils.save_image(x, path, nrow=5)
    saved = np.asarray(Image.open(path))
    expect = np.clip(_np(vutils.make_grid(x, nrow=5)) * 255 + 0.5, 0, 255).astype(np.uint8)
    assert (saved == expect.transpose(1, 2, 0)).all()
