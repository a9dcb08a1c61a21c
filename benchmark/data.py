"""Datasets as in-memory uint8 tensors.

Every dataset is read once from its original files (downloaded with a pinned checksum, or taken
from a local folder), checked against known checksums, and cached as a ``uint8`` tensor of shape
``(N, C, H, W)``.  Training then indexes that tensor directly (on the GPU when there is one):
there is no per-image PIL transform in the training loop.

Local folder layout under ``data_root`` (the original files, byte for byte)::

    mnist/          train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz  t10k-...
    fashion-mnist/  the same four Fashion-MNIST files
    cifar10/        cifar-10-python.tar.gz, or its extracted cifar-10-batches-py/
    celeba/         img_align_celeba.zip (or the extracted img_align_celeba/), list_eval_partition.txt
    celebahq/       the CelebA-HQ images at 256x256, one file each (00000.jpg ... 29999.jpg, or .png)
"""
from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torchvision import datasets as tv_datasets
from torchvision.datasets.utils import download_url
from tqdm import tqdm

from benchmark.atomic import atomic_torch_save
from benchmark.errors import UserError
from benchmark.torch_files import UnreadableFileError, load_torch_file, set_aside

SPLITS = ("train", "test")


class DataError(UserError, RuntimeError):
    """A dataset file is missing, corrupt, or a dataset request is malformed."""


@dataclass(frozen=True)
class DatasetInfo:
    """Static facts about one dataset: image shape and how many classes its labels have."""

    name: str
    image_size: int
    channels: int
    num_classes: int  # 0 when the dataset has no class labels

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.channels, self.image_size, self.image_size)


@dataclass
class ImageSet:
    """Images as uint8 ``(N, C, H, W)`` and integer labels ``(N,)`` (``None`` when unlabelled)."""

    images: torch.Tensor
    labels: torch.Tensor | None

    def __len__(self) -> int:
        return self.images.shape[0]

    def take(self, n: int | None) -> "ImageSet":
        """Return the first ``n`` items (all of them when ``n`` is ``None``)."""
        if n is None or n >= len(self):
            return self
        labels = None if self.labels is None else self.labels[:n]
        return ImageSet(self.images[:n], labels)


DATASETS: dict[str, DatasetInfo] = {
    "mnist": DatasetInfo("mnist", 28, 1, 10),
    "fashion": DatasetInfo("fashion", 28, 1, 10),
    "cifar10": DatasetInfo("cifar10", 32, 3, 10),
    "celeba": DatasetInfo("celeba", 64, 3, 0),
    "celebahq": DatasetInfo("celebahq", 256, 3, 0),
    "synthetic28": DatasetInfo("synthetic28", 28, 1, 10),
    "synthetic32": DatasetInfo("synthetic32", 32, 3, 10),
    "synthetic64": DatasetInfo("synthetic64", 64, 3, 10),
}


TEST_SPLIT_SIZES: dict[str, int] = {"mnist": 10_000, "fashion": 10_000, "cifar10": 10_000, "celeba": 19_962,
                                    "celebahq": 3_000,
                                    "synthetic28": 500, "synthetic32": 500, "synthetic64": 500}


def dataset_info(name: str) -> DatasetInfo:
    """Return the :class:`DatasetInfo` of ``name``; raise :class:`DataError` for an unknown name."""
    try:
        return DATASETS[name]
    except KeyError:
        raise DataError(f"unknown dataset {name!r}; choose one of {sorted(DATASETS)}") from None


# --------------------------------------------------------------------------- checksums

def md5_bytes(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def md5_file(path: Path, chunk: int = 1 << 20) -> str:
    """Return the md5 hex digest of the file at ``path``."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


# md5 of the *decompressed* IDX content, for .gz files that were recompressed (their .gz md5
# differs from upstream while the content is the original).  Upstream .gz md5s come from
# torchvision's own resource lists.
IDX_CONTENT_MD5 = {
    "fashion": {
        "train-images-idx3-ubyte.gz": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte.gz": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte.gz": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte.gz": "15d484375f8d13e6eb1aabb0c3f46965",
    },
    "mnist": {
        "t10k-images-idx3-ubyte.gz": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte.gz": "27ae3e4e09519cfbb04c329615203637",
    },
}

IDX_SOURCES = {
    "mnist": ("mnist", tv_datasets.MNIST),
    "fashion": ("fashion-mnist", tv_datasets.FashionMNIST),
}
IDX_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}

CIFAR_ARCHIVE = "cifar-10-python.tar.gz"
CIFAR_FOLDER = "cifar-10-batches-py"
CELEBA_ZIP = "img_align_celeba.zip"
CELEBA_FOLDER = "img_align_celeba"
CELEBA_PARTITION = "list_eval_partition.txt"
CELEBA_IMAGES = 202_599
CELEBA_SPLIT_CODE = {"train": "0", "test": "2"}
CELEBAHQ_FOLDER = "celebahq"
CELEBAHQ_SUFFIXES = (".jpg", ".jpeg", ".png")
CELEBAHQ_TEST_FRACTION = 10  # the last tenth of the sorted file names is the test split (3,000 of 30,000)


def _upstream_md5(dataset: str, filename: str) -> str:
    tv_class = IDX_SOURCES[dataset][1]
    return dict(tv_class.resources)[filename]


def _missing_file_error(path: Path, hint: str) -> DataError:
    return DataError(
        f"missing data file {path}. {hint} Put the original file there, or set "
        f"'download: true' in the config to fetch it (needs internet)."
    )


def read_verified_gz(path: Path, dataset: str) -> bytes:
    """Return the decompressed content of an IDX .gz file after checking its checksum."""
    raw_gz = path.read_bytes()
    if md5_bytes(raw_gz) == _upstream_md5(dataset, path.name):
        return gzip.decompress(raw_gz)
    try:
        content = gzip.decompress(raw_gz)
    except (OSError, EOFError, zlib.error) as err:
        raise DataError(f"corrupt data file {path}: not a valid gzip file ({err}); "
                        f"delete it and put the original file there") from None
    expected = IDX_CONTENT_MD5.get(dataset, {}).get(path.name)
    if md5_bytes(content) != expected:
        raise DataError(f"corrupt data file {path}: its checksum matches neither the upstream "
                        f"file nor its known content; delete it and put the original file there")
    return content


def _parse_idx(content: bytes) -> np.ndarray:
    """Parse an IDX file (unsigned bytes) into an array of the shape its header declares."""
    ndim = content[3]
    dims = np.frombuffer(content, dtype=">i4", count=ndim, offset=4)
    return np.frombuffer(content, dtype=np.uint8, offset=4 + 4 * ndim).reshape(tuple(dims))


def _load_idx(dataset: str, split: str, data_root: Path, download: bool) -> ImageSet:
    folder_name, tv_class = IDX_SOURCES[dataset]
    folder = data_root / folder_name
    arrays = []
    for filename in IDX_FILES[split]:
        path = folder / filename
        if not path.exists():
            if not download:
                url = f"{tv_class.mirrors[0]}{filename}"
                raise _missing_file_error(path, f"Download it from {url}.")
            _download_from_mirrors(tv_class.mirrors, filename, folder, _upstream_md5(dataset, filename))
        arrays.append(_parse_idx(read_verified_gz(path, dataset)))
    images, labels = arrays
    return ImageSet(torch.from_numpy(images.copy()).unsqueeze(1), torch.from_numpy(labels.astype(np.int64)))


def _download_from_mirrors(mirrors: list[str], filename: str, folder: Path, md5: str) -> None:
    errors = []
    for mirror in mirrors:
        try:
            download_url(f"{mirror}{filename}", str(folder), filename=filename, md5=md5)
            return
        except Exception as err:  # noqa: BLE001 - try the next mirror, report all at the end
            errors.append(f"{mirror}: {err}")
    raise DataError(f"could not download {filename}: " + "; ".join(errors))


def _cifar_batches(data_root: Path, download: bool) -> Callable[[str], bytes]:
    """Return a reader of CIFAR-10 batch files by name, from the folder or the archive."""
    folder = data_root / "cifar10"
    extracted = folder / CIFAR_FOLDER
    if extracted.is_dir():
        return lambda name: (extracted / name).read_bytes() if (extracted / name).exists() else b""
    archive = folder / CIFAR_ARCHIVE
    if not archive.exists():
        if not download:
            raise _missing_file_error(archive, f"Download it from {tv_datasets.CIFAR10.url}.")
        download_url(tv_datasets.CIFAR10.url, str(folder), CIFAR_ARCHIVE, tv_datasets.CIFAR10.tgz_md5)
    if md5_file(archive) != tv_datasets.CIFAR10.tgz_md5:
        raise DataError(f"corrupt data file {archive}: md5 differs from {tv_datasets.CIFAR10.tgz_md5}; "
                        f"delete it and download it again")
    with tarfile.open(archive) as tar:
        members = {Path(m.name).name: tar.extractfile(m).read() for m in tar.getmembers() if m.isfile()}
    return lambda name: members.get(name, b"")


def _load_cifar10(split: str, data_root: Path, download: bool) -> ImageSet:
    read = _cifar_batches(data_root, download)
    batch_list = tv_datasets.CIFAR10.train_list if split == "train" else tv_datasets.CIFAR10.test_list
    images, labels = [], []
    for name, md5 in batch_list:
        content = read(name)
        if not content:
            raise _missing_file_error(data_root / "cifar10" / CIFAR_FOLDER / name,
                                      f"Download {tv_datasets.CIFAR10.url} and extract it.")
        if md5_bytes(content) != md5:
            raise DataError(f"corrupt CIFAR-10 batch {name}: md5 differs from {md5}; "
                            f"replace it with the original file")
        entry = pickle.loads(content, encoding="latin1")
        images.append(np.asarray(entry["data"], dtype=np.uint8).reshape(-1, 3, 32, 32))
        labels.extend(entry["labels"])
    return ImageSet(torch.from_numpy(np.concatenate(images)), torch.tensor(labels, dtype=torch.int64))


def _celeba_checksums() -> dict[str, str]:
    return {filename: md5 for _, md5, filename in tv_datasets.CelebA.file_list}


def _celeba_crop_resize(data: bytes, crop: int, size: int) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        img = img.convert("RGB")
        width, height = img.size
        left, top = (width - crop) // 2, (height - crop) // 2
        img = img.crop((left, top, left + crop, top + crop)).resize((size, size), Image.BILINEAR)
        return np.asarray(img, dtype=np.uint8).transpose(2, 0, 1)


def _load_celeba(split: str, data_root: Path, crop: int, checksums: dict[str, str] | None = None) -> ImageSet:
    """Center-crop ``crop`` pixels, resize to 64x64.  CelebA cannot be downloaded reliably
    (Google Drive quotas), so it is read from a local folder only."""
    checksums = checksums or _celeba_checksums()
    folder = data_root / "celeba"
    partition = folder / CELEBA_PARTITION
    if not partition.exists():
        raise DataError(f"missing data file {partition}. Download CelebA (aligned, cropped) from "
                        f"https://mmlab.ie.cuhk.edu.hk/projects/CelebA.html and put "
                        f"{CELEBA_ZIP} and {CELEBA_PARTITION} there.")
    if md5_file(partition) != checksums[CELEBA_PARTITION]:
        raise DataError(f"corrupt data file {partition}: md5 differs from {checksums[CELEBA_PARTITION]}")
    names = [line.split()[0] for line in partition.read_text().splitlines()
             if line.strip() and line.split()[1] == CELEBA_SPLIT_CODE[split]]
    archive = folder / CELEBA_ZIP
    if archive.exists():
        if md5_file(archive) != checksums[CELEBA_ZIP]:
            raise DataError(f"corrupt data file {archive}: md5 differs from {checksums[CELEBA_ZIP]}; "
                            f"download it again")
        with zipfile.ZipFile(archive) as zf:
            read = {Path(n).name: n for n in zf.namelist()}
            images = [_celeba_crop_resize(zf.read(read[n]), crop, 64)
                      for n in tqdm(names, desc=f"celeba {split}", unit="img")]
    else:
        extracted = folder / CELEBA_FOLDER
        if not extracted.is_dir():
            raise DataError(f"missing data file {archive} (or its extracted folder {extracted})")
        if len(list(extracted.iterdir())) != CELEBA_IMAGES:
            raise DataError(f"{extracted} does not hold the {CELEBA_IMAGES} CelebA images; "
                            f"extract {CELEBA_ZIP} there again")
        images = [_celeba_crop_resize((extracted / n).read_bytes(), crop, 64)
                  for n in tqdm(names, desc=f"celeba {split}", unit="img")]
    return ImageSet(torch.from_numpy(np.stack(images)), None)


def celebahq_files(data_root: str | Path) -> list[Path]:
    """The CelebA-HQ image files under ``data_root/celebahq`` (sorted by name); raise
    :class:`DataError` saying what to download and where to put it when there are none."""
    folder = Path(data_root) / CELEBAHQ_FOLDER
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in CELEBAHQ_SUFFIXES) if folder.is_dir() else []
    if not files:
        problem = "holds no .jpg or .png files" if folder.is_dir() else "does not exist"
        raise DataError(f"missing CelebA-HQ images: {folder} {problem}. "
                        f"Get the CelebA-HQ images at 256x256 (30,000 files, Karras et al. 2018: "
                        f"https://github.com/tkarras/progressive_growing_of_gans) and put them in {folder}, "
                        f"one .jpg or .png file each; they are read from there, never downloaded.")
    return files


def check_local_folder(name: str, data_root: str | Path) -> None:
    """Raise :class:`DataError` (what to download, where to put it) when ``name`` is a dataset
    read from a local folder only (CelebA-HQ) and that folder holds none of its files."""
    if name == "celebahq":
        celebahq_files(data_root)


def _celebahq_split(files: list[Path], split: str) -> list[Path]:
    test = max(1, len(files) // CELEBAHQ_TEST_FRACTION)
    return files[-test:] if split == "test" else files[:-test]


def _read_celebahq_image(path: Path, size: int) -> np.ndarray:
    """One image as uint8 ``(3, size, size)``; :class:`DataError` naming the file when it cannot be
    decoded or is not ``size`` x ``size`` pixels (the files are used as they are, never resized)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as img:
            if img.size != (size, size):
                raise DataError(f"CelebA-HQ image {path} is {img.size[0]}x{img.size[1]} pixels, expected "
                                f"{size}x{size}: put the 256x256 release of CelebA-HQ in {path.parent}")
            return np.asarray(img.convert("RGB"), dtype=np.uint8).transpose(2, 0, 1)
    except (UnidentifiedImageError, OSError, SyntaxError) as err:
        raise DataError(f"unreadable CelebA-HQ image {path} ({err}); replace it with the original file") from None


def _load_celebahq(split: str, data_root: Path) -> ImageSet:
    """The CelebA-HQ images of one split, as they are (256x256), from the local folder only."""
    names = _celebahq_split(celebahq_files(data_root), split)
    size = DATASETS["celebahq"].image_size
    images = [_read_celebahq_image(path, size) for path in tqdm(names, desc=f"celebahq {split}", unit="img")]
    return ImageSet(torch.from_numpy(np.stack(images)), None)


def make_synthetic(info: DatasetInfo, split: str, n: int | None = None) -> ImageSet:
    """Deterministic labelled toy images: class ``k`` is a bright square at one of 10 places,
    with per-image jitter, brightness and noise.  Returns uint8 ``(n, C, S, S)`` and labels."""
    n = n or (2000 if split == "train" else 500)
    gen = torch.Generator().manual_seed(0 if split == "train" else 1)
    size, side = info.image_size, info.image_size // 4
    labels = torch.randint(0, 10, (n,), generator=gen)
    images = torch.rand(n, info.channels, size, size, generator=gen) * 40
    colour = 150 + torch.rand(n, info.channels, generator=gen) * 105
    jitter = torch.randint(-2, 3, (n, 2), generator=gen)
    for i in range(n):
        k = int(labels[i])
        row = (k // 5) * (size // 2) + size // 8 + int(jitter[i, 0])
        col = (k % 5) * (size - side) // 4 + int(jitter[i, 1])
        row, col = max(0, min(size - side, row)), max(0, min(size - side, col))
        images[i, :, row:row + side, col:col + side] = colour[i].view(-1, 1, 1)
    return ImageSet(images.clamp(0, 255).to(torch.uint8), labels)


def _read_original(info: DatasetInfo, split: str, data_root: Path, crop: int | None, download: bool) -> ImageSet:
    if info.name in IDX_SOURCES:
        return _load_idx(info.name, split, data_root, download)
    if info.name == "cifar10":
        return _load_cifar10(split, data_root, download)
    if info.name == "celeba":
        if crop is None:
            raise DataError("celeba needs a center-crop size: pass crop (the preset's datasets.celeba.crop)")
        return _load_celeba(split, data_root, crop)
    if info.name == "celebahq":
        return _load_celebahq(split, data_root)
    return make_synthetic(info, split)


def cache_path(cache_dir: Path, name: str, split: str, crop: int | None) -> Path:
    """Where the prepared uint8 tensor of one dataset split is cached."""
    suffix = f"-crop{crop}" if name == "celeba" else ""
    return Path(cache_dir) / "data" / f"{name}-{split}{suffix}.pt"


def content_md5(*tensors: torch.Tensor | None) -> str:
    """md5 of the bytes of ``tensors`` (``None`` entries skipped): what a cache or a run was made of."""
    digest = hashlib.md5()
    for tensor in tensors:
        if tensor is not None:
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


def _source_files(info: DatasetInfo, split: str, data_root: Path) -> list[Path]:
    """The original files one split is decoded from (those that exist); none for synthetic data."""
    if info.name in IDX_SOURCES:
        candidates = [data_root / IDX_SOURCES[info.name][0] / f for f in IDX_FILES[split]]
    elif info.name == "cifar10":
        batches = tv_datasets.CIFAR10.train_list if split == "train" else tv_datasets.CIFAR10.test_list
        candidates = [data_root / "cifar10" / CIFAR_ARCHIVE,
                      *(data_root / "cifar10" / CIFAR_FOLDER / name for name, _ in batches)]
    elif info.name == "celeba":
        candidates = [data_root / "celeba" / CELEBA_PARTITION, data_root / "celeba" / CELEBA_ZIP]
    elif info.name == "celebahq":
        folder = data_root / CELEBAHQ_FOLDER
        candidates = _celebahq_split(celebahq_files(data_root), split) if folder.is_dir() else []
    else:
        candidates = []
    return [path for path in candidates if path.is_file()]


def _source_md5(info: DatasetInfo, split: str, data_root: Path, crop: int) -> str | None:
    """md5 over the md5s of the split's original files and the crop; ``None`` when they are absent
    (a cache is then used on its own content checksum alone)."""
    files = _source_files(info, split, data_root)
    if info.name.startswith("synthetic"):
        return md5_bytes(f"{info.name}-{split}".encode())
    if not files:
        return None
    return md5_bytes("".join(f"{path.name}:{md5_file(path)};" for path in files).encode() + f"crop{crop}".encode())


def _cache_shape_problem(cached: Path, payload: dict, info: DatasetInfo) -> str | None:
    """What is wrong with the tensors of a data cache: images not uint8 ``(N, *info.shape)``
    (a float tensor could hold NaN), labels not int64 ``(N,)`` or ``None``; ``None`` when right."""
    images, labels = payload.get("images"), payload.get("labels")
    if not (isinstance(images, torch.Tensor) and images.dtype == torch.uint8 and images.dim() == 4
            and tuple(images.shape[1:]) == info.shape):
        found = f"{images.dtype} {tuple(images.shape)}" if isinstance(images, torch.Tensor) else type(images).__name__
        return f"data cache {cached}: its images are {found}, not uint8 (N, {', '.join(map(str, info.shape))})."
    if labels is not None and not (isinstance(labels, torch.Tensor) and labels.dtype == torch.int64
                                   and tuple(labels.shape) == (images.shape[0],)):
        found = f"{labels.dtype} {tuple(labels.shape)}" if isinstance(labels, torch.Tensor) else type(labels).__name__
        return f"data cache {cached}: its labels are {found}, not int64 ({images.shape[0]},)."
    return None


def _read_cache(cached: Path, source_md5: str | None, info: DatasetInfo) -> ImageSet | None:
    """The cached split when it is readable, holds uint8 images of the dataset's shape, matches
    its content checksum and was made from the current original files; otherwise move it aside
    (saying why) and return ``None``."""
    try:
        payload = load_torch_file(cached, "data cache", "")
        problem = (_cache_shape_problem(cached, payload, info) if isinstance(payload, dict) else
                   f"data cache {cached}: it holds a {type(payload).__name__}, not the suite's cache.")
        if problem is None and payload.get("content_md5") != content_md5(payload["images"], payload.get("labels")):
            problem = f"data cache {cached}: its images do not match the checksum recorded when it was written."
        if problem is None and source_md5 is not None and payload.get("source_md5") != source_md5:
            problem = f"data cache {cached}: it was made from other original files than those under data_root now."
    except UnreadableFileError as err:
        problem = str(err)
    if problem is None:
        return ImageSet(payload["images"], payload.get("labels"))
    print(set_aside(cached, problem, "rebuilding it from the original files."), flush=True)
    return None


def load_dataset(name: str, split: str, data_root: str | Path, cache_dir: str | Path | None = None,
                 crop: int | None = None, download: bool = False) -> ImageSet:
    """Return one split of a dataset as an :class:`ImageSet` (uint8 ``(N, C, H, W)``); ``crop``
    is CelebA's center-crop size (required there, ignored elsewhere).

    The original files are verified and decoded once; with ``cache_dir`` the result is cached
    together with its content checksum and the checksum of the original files, both verified on
    every load (a cache that fails either is rebuilt).  Raises :class:`DataError` naming a
    missing or corrupt file.
    """
    info = dataset_info(name)
    if split not in SPLITS:
        raise DataError(f"unknown split {split!r}; choose one of {SPLITS}")
    cached = cache_path(Path(cache_dir), name, split, crop) if cache_dir is not None else None
    if cached is not None and cached.exists():
        data = _read_cache(cached, _source_md5(info, split, Path(data_root), crop), info)
        if data is not None:
            return data
    data = _read_original(info, split, Path(data_root), crop, download)
    if data.images.shape[1:] != info.shape:
        raise DataError(f"{name} {split}: images have shape {tuple(data.images.shape[1:])}, "
                        f"expected {info.shape}")
    if cached is not None:
        atomic_torch_save({"images": data.images, "labels": data.labels,
                           "content_md5": content_md5(data.images, data.labels),
                           "source_md5": _source_md5(info, split, Path(data_root), crop)}, cached)
    return data


def to_float(images: torch.Tensor) -> torch.Tensor:
    """Map uint8 images to float32 in [0, 1] (same shape, same device)."""
    return images.float().div_(255.0)
