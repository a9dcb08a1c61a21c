"""A small CNN trained on a dataset's own training split, whose penultimate layer gives offline
features for "FID (classifier)" and PRD where the Inception weights cannot be had.

Training target: the class labels when the dataset has them; for unlabelled data (CelebA) a
self-supervised one, 4-way rotation prediction (each image rotated by 0, 90, 180 or 270 degrees,
the network predicts which), so the features still describe image content.  Training is seeded
and runs on the CPU with one intra-op thread whatever the job's device and thread count, so one
recipe gives the same file, byte for byte, under any thread count or device (several threads, or
a GPU, sum in another order and end in another network: FIDs on another scale); a CPU of another
instruction set may still round differently, which is why the classifiers the results use are
pinned files rather than trainings.  The saved file records how it
was made (its "recipe", including a content hash of the training images), and its SHA-256
identifies the features in every metrics file.  The command that trains it for a preset is
``python -m benchmark.commands.train_classifier``; the classifiers pinned in the repository
(:mod:`benchmark.metrics.pinned_classifiers`) are loaded instead of trained.
"""
from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from benchmark.atomic import atomic_torch_save
from benchmark.data import to_float
from benchmark.errors import FileMismatchError
from benchmark.metrics.features import FeatureExtractor
from benchmark.metrics.fid import content_sha256, sha256_file, verify_sha256
from benchmark.progress import EpochProgress
from benchmark.torch_files import UnreadableFileError, load_torch_file, set_aside

NUM_ROTATIONS = 4
TRAINING_THREADS = 1  # torch's intra-op threads while training: the same sums in the same order anywhere


@dataclass(frozen=True)
class ClassifierRecipe:
    """Everything that determines a trained classifier: architecture, task, data and training.
    Device and threads are no fields: :func:`train_classifier` always trains on the CPU with
    :data:`TRAINING_THREADS` intra-op thread, so files made before that rule keep their recipe."""

    dataset: str
    channels: int
    image_size: int
    num_classes: int
    task: str  # "classes" (dataset labels) or "rotation" (self-supervised, unlabelled data)
    train_sha256: str
    epochs: int
    width: int = 32
    feature_dim: int = 128
    batch_size: int = 128
    lr: float = 1e-3
    seed: int = 0


def conv_block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class SmallClassifier(nn.Module):
    """Two conv stages (``width``, ``2 * width`` channels, each two 3x3 convs and a 2x2 max-pool),
    4x4 average pooling, a ``feature_dim`` ReLU layer (the features) and a linear head."""

    def __init__(self, channels: int, num_classes: int, width: int = 32, feature_dim: int = 128):
        super().__init__()
        self.body = nn.Sequential(
            *conv_block(channels, width), *conv_block(width, width), nn.MaxPool2d(2),
            *conv_block(width, 2 * width), *conv_block(2 * width, 2 * width), nn.MaxPool2d(2),
            nn.AdaptiveAvgPool2d(4), nn.Flatten(),
            nn.Linear(2 * width * 16, feature_dim), nn.ReLU(inplace=True))
        self.head = nn.Linear(feature_dim, num_classes)

    def penultimate(self, x: torch.Tensor) -> torch.Tensor:
        """Return the features ``(B, feature_dim)`` of images ``(B, C, H, W)`` in [0, 1]."""
        return self.body(2 * x - 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return class logits ``(B, num_classes)`` of images ``(B, C, H, W)`` in [0, 1]."""
        return self.head(self.penultimate(x))


def rotation_batch(images: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Rotate each image ``(B, C, S, S)`` by a random multiple of 90 degrees; return the rotated
    images and the multiples ``(B,)`` (the self-supervised targets)."""
    turns = torch.randint(0, NUM_ROTATIONS, (images.shape[0],), generator=generator).to(images.device)
    rotated = images.clone()
    for k in range(1, NUM_ROTATIONS):
        chosen = turns == k
        rotated[chosen] = torch.rot90(images[chosen], k, dims=(2, 3))
    return rotated, turns


def make_recipe(dataset: str, images: torch.Tensor, labels: torch.Tensor | None, epochs: int,
                **training) -> ClassifierRecipe:
    """Return the recipe for training on uint8 ``images`` ``(N, C, S, S)`` with ``labels`` ``(N,)``
    (``None``: rotation prediction)."""
    if images.dtype != torch.uint8 or images.ndim != 4 or images.shape[2] != images.shape[3]:
        raise ValueError(f"training images must be uint8 (N, C, S, S), got {images.dtype} {tuple(images.shape)}")
    task = "rotation" if labels is None else "classes"
    num_classes = NUM_ROTATIONS if labels is None else int(labels.max()) + 1
    digest = content_sha256(images)
    if labels is not None:
        digest = hashlib.sha256(f"{digest}:{content_sha256(labels)}".encode()).hexdigest()
    return ClassifierRecipe(dataset, images.shape[1], images.shape[2], num_classes, task, digest,
                            epochs, **training)


@contextmanager
def _intra_op_threads(count: int):
    """Run the block with ``count`` intra-op threads, then restore the caller's count."""
    before = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def train_classifier(images: torch.Tensor, labels: torch.Tensor | None, recipe: ClassifierRecipe,
                     progress: bool = True) -> SmallClassifier:
    """Train a :class:`SmallClassifier` on uint8 ``images`` ``(N, C, S, S)`` with ``labels``
    ``(N,)`` (``None``: rotation prediction) as ``recipe`` says; return it in eval mode, on the
    CPU.  Training runs on the CPU with :data:`TRAINING_THREADS` intra-op thread (the caller's
    thread count is restored after), so the same recipe gives the same weights under any thread
    count or device.  Each epoch is reported with its last batch's loss: a bar with ``progress``,
    else a line."""
    with _intra_op_threads(TRAINING_THREADS):
        torch.manual_seed(recipe.seed)
        generator = torch.Generator().manual_seed(recipe.seed)
        model = SmallClassifier(recipe.channels, recipe.num_classes, recipe.width, recipe.feature_dim)
        optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
        model.train()
        epochs = EpochProgress(f"classifier ({recipe.dataset}, {images.shape[0]} images)", recipe.epochs, progress)
        for _ in range(recipe.epochs):
            order = torch.randperm(images.shape[0], generator=generator)
            for start in range(0, images.shape[0], recipe.batch_size):
                index = order[start:start + recipe.batch_size]
                batch = to_float(images[index])
                if labels is None:
                    batch, targets = rotation_batch(batch, generator)
                else:
                    targets = labels[index]
                loss = nn.functional.cross_entropy(model(batch), targets)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
            epochs.epoch_done(loss=f"{loss.item():.3f}")
        epochs.close()
    return model.eval()


def save_classifier(model: SmallClassifier, recipe: ClassifierRecipe, path: str | os.PathLike) -> str:
    """Save the weights and recipe atomically to ``path``; return the file's SHA-256."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    atomic_torch_save({"state_dict": state, "recipe": asdict(recipe)}, path)
    return sha256_file(path)


_RETRAIN_HINT = ("the evaluation that needs it trains it again at once (so does `python -m "
                "benchmark.commands.train_classifier --config PRESET --dataset DATASET`).")


def _read_classifier_file(path: Path) -> tuple[ClassifierRecipe, SmallClassifier]:
    """The recipe and the network saved at ``path``; raises :class:`UnreadableFileError` naming the
    file when it is truncated, corrupt or not a classifier file of this suite."""
    payload = load_torch_file(path, "classifier", "")
    try:
        recipe = ClassifierRecipe(**payload["recipe"])
        network = SmallClassifier(recipe.channels, recipe.num_classes, recipe.width, recipe.feature_dim)
        network.load_state_dict(payload["state_dict"])
    except (TypeError, KeyError, RuntimeError) as err:
        raise UnreadableFileError(f"classifier {path} is not a classifier file of this suite "
                                  f"({type(err).__name__}: {str(err).splitlines()[0]}).") from None
    return recipe, network


def read_recipe(path: str | os.PathLike) -> ClassifierRecipe | None:
    """Return the recipe stored in a saved classifier file; ``None`` when there is none, or when
    the file is unreadable (it is then moved aside, saying so, to be trained again)."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        return _read_classifier_file(path)[0]
    except UnreadableFileError as err:
        print(set_aside(path, str(err), "training it again."), flush=True)
        return None


class ClassifierExtractor(FeatureExtractor):
    """Penultimate-layer features of a trained :class:`SmallClassifier`."""

    name = "classifier"

    def __init__(self, network: SmallClassifier, recipe: ClassifierRecipe, weights_sha256: str,
                 device: str | torch.device = "auto"):
        super().__init__(network, device)
        self.recipe = recipe
        self.weights_sha256 = weights_sha256
        self.dim = recipe.feature_dim

    def check_images(self, images: torch.Tensor) -> None:
        super().check_images(images)
        expected = (self.recipe.channels, self.recipe.image_size, self.recipe.image_size)
        if tuple(images.shape[1:]) != expected:
            raise FileMismatchError(f"this classifier was trained on {self.recipe.dataset} images of shape "
                                    f"{expected}, got {tuple(images.shape[1:])}; train one for these images")

    def embed(self, batch: torch.Tensor) -> torch.Tensor:
        return self.network.penultimate(batch)


def load_classifier(path: str | os.PathLike, device: str | torch.device = "auto",
                    expected_sha256: str | None = None) -> ClassifierExtractor:
    """Return the :class:`ClassifierExtractor` saved at ``path`` (checked against
    ``expected_sha256`` when given).  An unreadable file is moved aside (``*.corrupt``) and raises
    :class:`UnreadableFileError` naming it and how it is trained again."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"classifier weights not found at {path}; train them with "
                                f"`python -m benchmark.commands.train_classifier --config PRESET --dataset DATASET`")
    digest = verify_sha256(path, expected_sha256) if expected_sha256 else sha256_file(path)
    try:
        recipe, network = _read_classifier_file(path)
    except UnreadableFileError as err:
        raise UnreadableFileError(set_aside(path, str(err), _RETRAIN_HINT)) from None
    return ClassifierExtractor(network, recipe, digest, device)
