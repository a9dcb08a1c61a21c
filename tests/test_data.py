import gzip
import hashlib
import io
import shutil
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

from benchmark import data
from benchmark.data import DataError, load_dataset


def test_real_fashion_splits(shared_data, tmp_path):
    train = load_dataset("fashion", "train", shared_data, tmp_path)
    test = load_dataset("fashion", "test", shared_data, tmp_path)
    assert train.images.shape == (60000, 1, 28, 28) and test.images.shape == (10000, 1, 28, 28)
    assert train.images.dtype == torch.uint8
    assert torch.bincount(train.labels).tolist() == [6000] * 10
    assert not torch.equal(train.images[:10000], test.images)  # the splits are kept apart
    cached = load_dataset("fashion", "train", "/nonexistent", tmp_path)  # served from the cache
    assert torch.equal(cached.images, train.images) and torch.equal(cached.labels, train.labels)


def test_real_mnist_test_split_verified_by_upstream_gz_checksum(shared_data):
    test = load_dataset("mnist", "test", shared_data)
    assert test.images.shape == (10000, 1, 28, 28) and test.labels[:5].tolist() == [7, 2, 1, 0, 4]


def test_missing_file_names_the_file_and_the_fix(shared_data):
    with pytest.raises(DataError, match=r"missing data file .*mnist/train-images-idx3-ubyte.gz.*download: true"):
        load_dataset("mnist", "train", shared_data)


def test_corrupt_file_is_rejected(shared_data, tmp_path):
    folder = tmp_path / "fashion-mnist"
    shutil.copytree(shared_data / "fashion-mnist", folder)
    content = bytearray(gzip.decompress((folder / "t10k-labels-idx1-ubyte.gz").read_bytes()))
    content[100] = (content[100] + 1) % 10
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(bytes(content)))
    with pytest.raises(DataError, match="corrupt data file .*t10k-labels"):
        load_dataset("fashion", "test", tmp_path)
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(b"not a gzip file")
    with pytest.raises(DataError, match="not a valid gzip"):
        load_dataset("fashion", "test", tmp_path)


def test_unknown_names_are_rejected():
    with pytest.raises(DataError, match="unknown dataset 'svhn'"):
        load_dataset("svhn", "train", ".")
    with pytest.raises(DataError, match="unknown split"):
        load_dataset("fashion", "validation", ".")


def test_synthetic_is_deterministic_and_labelled():
    a, b = load_dataset("synthetic32", "train", "."), load_dataset("synthetic32", "train", ".")
    assert a.images.shape == (2000, 3, 32, 32) and torch.equal(a.images, b.images)
    assert set(a.labels.tolist()) == set(range(10))
    assert not torch.equal(load_dataset("synthetic32", "test", ".").images[:10], a.images[:10])


def test_cifar_missing_and_corrupt(tmp_path):
    with pytest.raises(DataError, match="cifar-10-python.tar.gz"):
        load_dataset("cifar10", "test", tmp_path)
    folder = tmp_path / "cifar10" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    (folder / "test_batch").write_bytes(b"garbage")
    with pytest.raises(DataError, match="corrupt CIFAR-10 batch test_batch"):
        load_dataset("cifar10", "test", tmp_path)


def _jpeg(colour_inside, colour_outside):
    img = np.full((218, 178, 3), colour_outside, dtype=np.uint8)
    img[39:179, 19:159] = colour_inside  # the central 140x140 crop
    buffer = io.BytesIO()
    Image.fromarray(img).save(buffer, format="PNG")
    return buffer.getvalue()


def test_celeba_center_crop_and_resize_from_zip(tmp_path):
    folder = tmp_path / "celeba"
    folder.mkdir()
    with zipfile.ZipFile(folder / "img_align_celeba.zip", "w") as zf:
        for i, colour in enumerate([(200, 10, 10), (10, 200, 10), (10, 10, 200)]):
            zf.writestr(f"img_align_celeba/{i:06d}.jpg", _jpeg(colour, (0, 0, 0)))
    (folder / "list_eval_partition.txt").write_text("000000.jpg 0\n000001.jpg 2\n000002.jpg 0\n")
    md5 = lambda p: hashlib.md5(p.read_bytes()).hexdigest()
    sums = {"img_align_celeba.zip": md5(folder / "img_align_celeba.zip"),
            "list_eval_partition.txt": md5(folder / "list_eval_partition.txt")}
    train = data._load_celeba("train", tmp_path, crop=140, checksums=sums)
    assert train.images.shape == (2, 3, 64, 64) and train.labels is None
    assert train.images[0, 0].float().mean() > 190 and train.images[0, 1].float().mean() < 20  # no border
    assert train.images[1, 2].float().mean() > 190
    wide = data._load_celeba("test", tmp_path, crop=178, checksums=sums)
    assert wide.images[0, 1, :, 0].float().mean() < 50  # a wider crop keeps the black border
    with pytest.raises(DataError, match="corrupt data file .*img_align_celeba.zip"):
        data._load_celeba("train", tmp_path, crop=140, checksums={**sums, "img_align_celeba.zip": "0" * 32})


@pytest.mark.parametrize("crop, left, top", [(160, 9, 29), (140, 19, 39)])
def test_celeba_crop_picks_the_central_window_of_a_178x218_image(crop, left, top):
    """Each pixel stores its own column (red) and row (green): the crop's corners name the window."""
    rows, cols = np.mgrid[0:218, 0:178]
    img = np.stack([cols, rows, np.zeros_like(rows)], axis=-1).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(img).save(buffer, format="PNG")
    window = data._celeba_crop_resize(buffer.getvalue(), crop, crop)  # size = crop: no resampling
    assert window.shape == (3, crop, crop)
    assert (window[0, 0, 0], window[1, 0, 0]) == (left, top)
    assert (window[0, -1, -1], window[1, -1, -1]) == (left + crop - 1, top + crop - 1)
