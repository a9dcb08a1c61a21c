"""Running the authors' released GLF code (github nalzok/flow-comparison: ``train_glf.py``,
``generate_sample.py``, ``AE/convAE_infoGAN.py``) next to the suite's GLF, without copying it here.

A reviewer's checkout is copied to a scratch folder and changed there by :data:`AUTHORS_PATCHES`:
small text substitutions, each failing with :class:`PatchError` when its expected text is missing
(another version of their code), each saying why it is needed and whether it repairs a defect of
the released code that stops it from running here (:attr:`Patch.defect`) or only sets up the run
(seed, device, local data, quiet log).  Their script reads the suite's own training images,
written in the IDX layout torchvision's dataset class expects (:func:`write_torchvision_layout`).
Their trained models are loaded into their own ``ConvAE`` and FrEIA flow, imported from the copy
(:func:`load_authors_model`), and wrapped as a suite model, so that both are drawn by the same
sampler under the authors' protocol.
"""
from __future__ import annotations

import ast
import importlib
import json
import os
import shutil
import subprocess
import sys
import time
from argparse import Namespace
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterator

import torch
from torch import nn

from benchmark.atomic import atomic_write_text
from benchmark.errors import UserError
from models.base import GenerativeModel, ModelSpec

FREIA_VERSION = "0.2"
AUTHORS_REPOSITORY = "github.com/nalzok/flow-comparison"
TESTED_COMMIT = "c25c1e1"  # its HEAD: the OpenReview copy (99e8094) with FrEIA 0.2's API


class PatchError(UserError, ValueError):
    """The authors' checkout lacks a text that a run-time change expects: another version of it."""


@dataclass(frozen=True)
class Patch:
    """Replace every ``old`` in ``file`` (a path inside the checkout) by ``new``; ``why`` says what
    for; ``defect`` marks a change without which the released code does not run here (reported).
    A patch with ``new == old`` only checks that the text is there."""

    file: str
    old: str
    new: str
    why: str
    defect: bool = False


AUTHORS_PATCHES: tuple[Patch, ...] = (
    Patch("train_glf.py", "zhat, logd = modFlow(z.data, jac=True)", "zhat, logd = modFlow(z.data, jac=True)",
          f"the flow is called with FrEIA {FREIA_VERSION}'s API; the OpenReview copy (commit 99e8094) uses an "
          f"older FrEIA API: use the GitHub HEAD ({AUTHORS_REPOSITORY}, {TESTED_COMMIT})"),
    Patch("train_glf.py", '"Fashion-mnist"),', '"Fashion-mnist", "fashion-mnist"),',
          "--dataset accepts only 'Fashion-mnist', but ConvAE (AE/convAE_infoGAN.py) builds a 1-channel model "
          "only for 'fashion-mnist': with the accepted name it builds a 3-channel one, which fails on the "
          "1-channel images; the spelling ConvAE tests for is added to the choices", defect=True),
    Patch("train_glf.py", "        if epoch % 50 == 0:",
          "        if epoch % 50 == 0 or epoch == args.num_epochs - 1:",
          "the models are saved only when epoch % 50 == 0, so a run of any length but 1 + a multiple of 50 "
          "epochs never saves its last epoch; the last epoch is saved too", defect=True),
    Patch("train_glf.py", 'device = torch.device("cuda:{}".format(args.device) if use_gpu else "cpu")',
          "device = torch.device(args.device)",
          "the script takes the GPU whenever one exists, as 'cuda:<--device>', and --device defaults to 'cpu' "
          "('cuda:cpu', an error); --device now names the torch device", defect=True),
    Patch("train_glf.py", "    args = parser.parse_args()\n",
          '    parser.add_argument("--seed", dest="seed", default=123, type=int)\n    args = parser.parse_args()\n',
          "a --seed argument (the script fixes the seed at 123)"),
    Patch("train_glf.py", "torch.manual_seed(123)", "torch.manual_seed(args.seed)", "torch's seed from --seed"),
    Patch("train_glf.py", "torch.cuda.manual_seed(1)", "torch.cuda.manual_seed(args.seed)",
          "the CUDA seed from --seed too (fixed at 1, it would give every run the same flow initialisation on a GPU)"),
    Patch("train_glf.py", "with tqdm(total=len(training_loader.dataset)) as progress_bar:",
          "with tqdm(total=len(training_loader.dataset), disable=True) as progress_bar:",
          "no progress bar in the log"),
    Patch("utils/dataset.py", "download=True", "download=False",
          "read the local copy of the suite's training images; never download"),
    Patch("generate_sample.py", '"flowModel_epo100"', '"flowModel_epo{}".format(args.epoch)',
          "load the last epoch's flow (the file name is fixed at epoch 100; their README says to edit it)"),
    Patch("generate_sample.py", '"AEModel_epo100"', '"AEModel_epo{}".format(args.epoch)',
          "load the last epoch's autoencoder (as for the flow)"),
)

# The suite's dataset -> (their --dataset value, the folder under --dset_dir torchvision reads raw files from).
AUTHORS_DATASETS = {
    "fashion": ("fashion-mnist", Path("fmnist") / "FashionMNIST" / "raw"),
    "mnist": ("mnist", Path("mnist") / "MNIST" / "raw"),
}


def apply_patches(root: Path, patches: tuple[Patch, ...] = AUTHORS_PATCHES) -> None:
    """Apply ``patches`` to the files under ``root``; every expected text is checked before any
    file is written, and a missing one raises :class:`PatchError` naming the file, the text and why
    it is needed."""
    texts: dict[str, str] = {}
    for patch in patches:
        path = root / patch.file
        if patch.file not in texts:
            if not path.is_file():
                raise PatchError(f"{path} does not exist: the authors' checkout lacks {patch.file} "
                                 f"(expected {AUTHORS_REPOSITORY} at {TESTED_COMMIT})")
            texts[patch.file] = path.read_text()
        if patch.old not in texts[patch.file]:
            raise PatchError(f"PatchError: {path}: expected text {patch.old!r} not found (needed for: {patch.why}); this "
                             f"version of the authors' code differs from {AUTHORS_REPOSITORY} at {TESTED_COMMIT}")
        texts[patch.file] = texts[patch.file].replace(patch.old, patch.new)
    for name, text in texts.items():
        (root / name).write_text(text)


def prepare_checkout(source: Path, scratch: Path) -> Path:
    """Copy the authors' checkout ``source`` (without ``.git``) to ``scratch/code``, patch it
    there and return that folder."""
    if not (source / "train_glf.py").is_file():
        raise FileNotFoundError(f"{source} holds no train_glf.py: pass a checkout of {AUTHORS_REPOSITORY}")
    code = scratch / "code"
    shutil.copytree(source, code, ignore=shutil.ignore_patterns(".git"))
    apply_patches(code)
    return code


def _idx_bytes(tensor: torch.Tensor) -> bytes:
    """A uint8 tensor ``(N,)`` or ``(N, H, W)`` in the IDX format (big-endian header, raw bytes)."""
    header = (0x0800 + tensor.dim()).to_bytes(4, "big") + b"".join(s.to_bytes(4, "big") for s in tensor.shape)
    return header + tensor.contiguous().numpy().tobytes()


def write_torchvision_layout(folder: Path, splits: dict[str, tuple[torch.Tensor, torch.Tensor]]) -> None:
    """Write uint8 images ``(N, 1, S, S)`` and labels ``(N,)`` of each split ("train", "test") as
    the uncompressed IDX files torchvision's MNIST-style datasets read from their raw ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    prefix = {"train": "train", "test": "t10k"}
    for split, (images, labels) in splits.items():
        if images.dtype != torch.uint8 or images.dim() != 4 or images.shape[1] != 1:
            raise ValueError(f"{split} images must be uint8 (N, 1, S, S), found {images.dtype} {tuple(images.shape)}")
        (folder / f"{prefix[split]}-images-idx3-ubyte").write_bytes(_idx_bytes(images[:, 0]))
        (folder / f"{prefix[split]}-labels-idx1-ubyte").write_bytes(_idx_bytes(labels.to(torch.uint8)))


@dataclass(frozen=True)
class AuthorsRun:
    """One run of their ``train_glf.py``: its command-line ``arguments`` (flag -> value), the
    ``savedir`` its models go to and the last epoch's index (their file names count from 0);
    :meth:`model_files` are the flow's and the autoencoder's state dicts of that epoch."""

    arguments: dict[str, str]
    savedir: Path
    last_epoch: int

    def model_files(self) -> list[Path]:
        return [self.savedir / f"{kind}_epo{self.last_epoch}" for kind in ("flowModel", "AEModel")]


def train_authors(code: Path, run: AuthorsRun, log: Path,
                  on_epoch: Callable[[dict], None] = lambda row: None) -> dict:
    """Run their patched ``train_glf.py`` in ``code`` with ``run``'s arguments (stdout and stderr to
    ``log``, each epoch line parsed as it comes and handed to ``on_epoch``) unless
    ``<savedir>/done.json`` records the same arguments; return that record: arguments, wall
    seconds and the per-epoch losses the script prints.  ``run``'s paths must be absolute: the
    script runs with ``code`` as its working folder."""
    for flag in ("savedir", "dset_dir"):
        if not Path(run.arguments[flag]).is_absolute():
            raise ValueError(f"--{flag} {run.arguments[flag]!r} is a relative path: the authors' train_glf.py runs "
                             f"in {code} and would resolve it there; hand it an absolute path")
    done = run.savedir / "done.json"
    if done.exists() and json.loads(done.read_text())["arguments"] == run.arguments and all(
            f.exists() for f in run.model_files()):
        return json.loads(done.read_text())
    run.savedir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "train_glf.py"] + [part for flag, value in run.arguments.items()
                                                   for part in (f"--{flag}", value)]
    started = time.perf_counter()
    with open(log, "w") as out, subprocess.Popen(
            command, cwd=code, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}) as process:
        for line in process.stdout:
            out.write(line)
            out.flush()
            row = parse_epoch_line(line)
            if row is not None:
                on_epoch(row)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-15:])
        raise RuntimeError(f"the authors' train_glf.py failed (exit {process.returncode}); its log {log} ends:\n{tail}")
    missing = [str(f) for f in run.model_files() if not f.exists()]
    if missing:
        raise RuntimeError(f"the authors' train_glf.py finished without saving {missing}; see {log}")
    record = {"arguments": run.arguments, "seconds": seconds, "epochs": parse_epoch_lines(log.read_text())}
    atomic_write_text(done, json.dumps(record, indent=2) + "\n")
    return record


def parse_epoch_line(line: str) -> dict | None:
    """The losses of a ``Train Epoch: E Reconstruction-Loss: R loglikelihood loss: L  log det: D``
    line their script prints, ``{"epoch", "recon", "nll", "log_det"}``; ``None`` for another line."""
    if not line.startswith("Train Epoch:"):
        return None
    words = line.split()
    return {"epoch": int(words[2]), "recon": float(words[4]), "nll": float(words[7]), "log_det": float(words[10])}


def parse_epoch_lines(text: str) -> list[dict]:
    """:func:`parse_epoch_line` of each epoch line of ``text``, in order."""
    return [row for row in map(parse_epoch_line, text.splitlines()) if row is not None]


@contextmanager
def imported_from(code: Path) -> Iterator[None]:
    """Make the modules of the checkout ``code`` importable for the block; afterwards forget them
    (so that another checkout can be imported later in the same process)."""
    before = set(sys.modules)
    sys.path.insert(0, str(code))
    importlib.invalidate_caches()
    try:
        yield
    finally:
        sys.path.remove(str(code))
        for name in set(sys.modules) - before:
            module = sys.modules[name]
            places = [getattr(module, "__file__", None) or "", *getattr(module, "__path__", [])]
            if any(str(place).startswith(str(code)) for place in places):
                del sys.modules[name]


def subnet_constructor(source: str, fc_dim: int):
    """Their flow's subnet constructor ``subnet_fc(c_in, c_out)``, compiled from its definition in
    ``generate_sample.py``'s ``source`` (it lives inside the script's main block) with ``fc_dim``."""
    found = [node for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.FunctionDef) and node.name == "subnet_fc"]
    if len(found) != 1:
        raise PatchError(f"generate_sample.py defines subnet_fc {len(found)} times, expected once "
                         f"({AUTHORS_REPOSITORY} at {TESTED_COMMIT})")
    namespace = {"nn": nn, "args": Namespace(fc_dim=fc_dim)}
    exec(compile(ast.Module(body=found, type_ignores=[]), "generate_sample.py", "exec"), namespace)
    return namespace["subnet_fc"]


class AuthorsGLF(GenerativeModel):
    """Their trained ``ConvAE`` and FrEIA flow as a suite model: decoding is their ``decode``,
    noise goes through their flow in reverse (as ``generate_sample.py`` draws)."""

    sampling = "authors"

    def __init__(self, spec: ModelSpec, autoencoder: nn.Module, flow: nn.Module):
        super().__init__(spec)
        self.autoencoder = autoencoder
        self.flow = flow

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.autoencoder.decode(z)

    def noise_to_latent(self, eps: torch.Tensor) -> torch.Tensor:
        return self.flow(eps, rev=True)[0]

    def sample_latents(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        noise = torch.randn(n, self.spec.latent_dim, generator=generator, device=self.device)
        return self.noise_to_latent(noise)


def load_authors_model(code: Path, run: AuthorsRun, spec: ModelSpec, device: torch.device) -> AuthorsGLF:
    """Their models of ``run`` loaded by their own ``generate_sample.load_check_point`` (their
    ``ConvAE`` and FrEIA flow, imported from the patched checkout ``code``) on ``device``."""
    arguments = run.arguments
    args = Namespace(dataset=arguments["dataset"], num_latent=int(arguments["num_latent"]),
                     image_size=int(arguments["image_size"]), loss_type=arguments["loss_type"],
                     num_block=int(arguments["num_block"]), model_dir=str(run.savedir), epoch=run.last_epoch)
    subnet = subnet_constructor((code / "generate_sample.py").read_text(), int(arguments["fc_dim"]))
    with imported_from(code):
        generate_sample = importlib.import_module("generate_sample")
        autoencoder, flow = generate_sample.load_check_point(args, subnet, device)
    return AuthorsGLF(replace(spec, params={}), autoencoder, flow).to(device)
