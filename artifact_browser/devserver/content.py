"""The demo data set: which jobs exist and which files their MLflow runs hold.

This module only plans and writes local files; :mod:`seed` puts them on the
server. The plan exercises what an artifact browser must handle: empty, tiny
and multi-MiB files, text, JSON, CSV, PNG and binary, deep folders, a folder of
200 files, an empty folder, names with spaces and accented Latin letters, and
searchable descriptions (some null).

Names avoid the server defects of dioptra-api.md §10: no CJK (or other
non-Latin-1) characters, no ``#``, ``?`` or ``%20``.
"""

from __future__ import annotations

import json
import random
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path

MIB = 1024 * 1024

# Group keys used by the plan; the seeder maps them to real groups.
PUBLIC = "public"
LAB = "vision-lab"

# Artifact task keys; the seeder maps them to the plugin's artifact task ids.
MODEL_TASK = "save_model"
TABLE_TASK = "save_table"


@dataclass
class PlannedFile:
    """A single file logged to a run.

    Attributes:
        rel: Path inside the run's artifact root (``outputs/model.bin``).
        data: The bytes.
        description: The artifact description (None leaves it null).
        task: An artifact task key, or None.
        register: False keeps it as a spare: logged, not registered.
    """

    rel: str
    data: bytes
    description: str | None = None
    task: str | None = None
    register: bool = True


@dataclass
class PlannedDir:
    """A folder logged to a run.

    Attributes:
        rel: Path of the folder inside the run's artifact root.
        files: File path inside the folder -> bytes.
        empty_dirs: Folder paths inside the folder that stay empty.
    """

    rel: str
    files: dict[str, bytes]
    description: str | None = None
    task: str | None = None
    register: bool = True
    empty_dirs: tuple[str, ...] = ()


@dataclass
class PlannedJob:
    """A job and what its (optional) MLflow run holds.

    Attributes:
        key: A stable name for the plan (not sent to the server).
        group: PUBLIC or LAB.
        experiment: The Dioptra experiment name.
        status: The final status.
        has_run: Whether an MLflow run is linked.
        edits: Descriptions to PUT, in order, on the artifact with this ``rel``
            (each PUT adds a snapshot): ``(rel, new description)``.
    """

    key: str
    group: str
    experiment: str
    description: str
    status: str
    has_run: bool
    files: list[PlannedFile] = field(default_factory=list)
    dirs: list[PlannedDir] = field(default_factory=list)
    edits: list[tuple[str, str]] = field(default_factory=list)
    spare: bool = False


# -- generators ---------------------------------------------------------------------


def png(width: int, height: int, seed: int = 0) -> bytes:
    """A valid RGB PNG with a colour gradient (no imaging library needed)."""
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            rows += bytes(((x * 255 // max(width - 1, 1) + seed * 40) % 256, y * 255 // max(height - 1, 1), (seed * 97) % 256))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b"")


def binary(size: int, seed: int) -> bytes:
    """Deterministic pseudo-random bytes (incompressible, like model weights)."""
    return random.Random(seed).randbytes(size)


def csv_table(rows: int, seed: int) -> bytes:
    rng = random.Random(seed)
    lines = ["epoch,loss,accuracy,val_loss,val_accuracy"]
    loss = 2.3
    for epoch in range(1, rows + 1):
        loss *= 0.9 + rng.random() * 0.05
        lines.append(f"{epoch},{loss:.4f},{1 - loss / 2.5:.4f},{loss * 1.1:.4f},{1 - loss / 2.3:.4f}")
    return ("\n".join(lines) + "\n").encode()


def as_json(value: object) -> bytes:
    return (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def text(value: str) -> bytes:
    return value.encode("utf-8")


# -- the plan -------------------------------------------------------------------------


def demo_plan() -> list[PlannedJob]:
    """The jobs to create, in creation order, with every job status present in both groups' mix."""
    jobs: list[PlannedJob] = []

    jobs.append(
        PlannedJob(
            key="mnist-train",
            group=PUBLIC,
            experiment="mnist-baseline",
            description="train mnist cnn classifier",
            status="finished",
            has_run=True,
            files=[
                PlannedFile("outputs/model.bin", binary(5 * MIB, 1), "mnist cnn weights, 5 MiB", MODEL_TASK),
                PlannedFile("outputs/empty.txt", b"", None),
                PlannedFile("outputs/tiny.txt", b"ok\n", "a tiny text file"),
                PlannedFile(
                    "outputs/metrics.json", as_json({"accuracy": 0.9912, "loss": 0.031, "epochs": 12}), "mnist test metrics", TABLE_TASK
                ),
                PlannedFile("outputs/history.csv", csv_table(12, 2), "mnist training history per epoch", TABLE_TASK),
                PlannedFile("outputs/roc curve.png", png(64, 48, 1), "roc curve of the mnist classifier"),
                PlannedFile("outputs/confusion_matrix.png", png(32, 32, 2), "confusion matrix on the mnist test set"),
                PlannedFile(
                    "outputs/résumé notes.txt",
                    text("Résumé: the model converged after 12 epochs.\nNaïve baseline beaten.\n"),
                    "notes with an accented file name",
                ),
                PlannedFile("outputs/config.yaml", text("epochs: 12\nbatch_size: 64\noptimizer: adam\nlr: 0.001\n"), None),
                PlannedFile(
                    "outputs/training log.txt", text("".join(f"epoch {i}: loss {2.3 * 0.7**i:.4f}\n" for i in range(1, 13))), "training log"
                ),
                PlannedFile("outputs/labels.bin", binary(4096, 3), None),
            ],
            dirs=[
                PlannedDir(
                    "checkpoints",
                    {
                        **{f"epoch_{e:02d}/model.bin": binary(64 * 1024, 10 + e) for e in (4, 8, 12)},
                        **{f"epoch_{e:02d}/layers/conv1/weights.bin": binary(2048, 20 + e) for e in (4, 8, 12)},
                        "epoch_12/layers/dense/bias/values.bin": binary(512, 33),
                        "README.txt": text("Checkpoints every 4 epochs.\n"),
                    },
                    "mnist model checkpoints",
                    MODEL_TASK,
                ),
            ],
            edits=[
                ("outputs/model.bin", "mnist cnn weights, 5 MiB (best epoch)"),
                ("outputs/model.bin", "mnist cnn weights, 5 MiB (best epoch, reviewed)"),
                ("outputs/tiny.txt", "a tiny text file, edited once"),
            ],
        )
    )

    jobs.append(
        PlannedJob(
            key="mnist-eval",
            group=PUBLIC,
            experiment="mnist-baseline",
            description="evaluate mnist classifier: roc and confusion matrix",
            status="finished",
            has_run=True,
            files=[
                PlannedFile(
                    "predictions.csv",
                    "".join(f"{i},{i % 10},{(i * 7) % 10}\n" for i in range(20000)).encode(),
                    "mnist test set predictions",
                ),
                PlannedFile("summary.json", as_json({"auc": 0.998, "classes": list(range(10))}), "evaluation summary with roc auc"),
                PlannedFile("déjà vu.txt", text("Déjà vu: same numbers as last week.\n"), "accented name with a space"),
                PlannedFile("README.md", text("# MNIST evaluation\n\nSee `evaluation/`.\n"), None),
                PlannedFile("reports/final/report.txt", text("Final report: accuracy 99.1 %.\n"), "final evaluation report"),
                PlannedFile(
                    "per_class_accuracy.csv",
                    text("class,accuracy\n" + "".join(f"{c},0.9{c}\n" for c in range(10))),
                    "per class accuracy",
                    TABLE_TASK,
                ),
                PlannedFile("thresholds.json", as_json({"thresholds": [i / 20 for i in range(21)]}), None),
                PlannedFile("precision recall.png", png(50, 40, 5), "precision recall curve"),
            ],
            dirs=[
                PlannedDir(
                    "evaluation",
                    {
                        "plots/roc/roc curve.png": png(40, 30, 3),
                        "plots/confusion/matrix.png": png(20, 20, 4),
                        "tables/per_class.csv": text("class,precision,recall\n" + "".join(f"{c},0.99,0.98\n" for c in range(10))),
                        "reports/summary/final/report.txt": text("nested four levels deep\n"),
                        "reports/summary/final/données.json": as_json({"ok": True}),
                        "notes.txt": text("evaluation notes\n"),
                    },
                    "mnist evaluation plots, roc curves and confusion matrix",
                    TABLE_TASK,
                    empty_dirs=("cache",),
                ),
                PlannedDir(
                    "predictions",
                    {
                        f"batch_{b:02d}/pred_{i:03d}.json": as_json({"batch": b, "index": i, "label": (b * 20 + i) % 10})
                        for b in range(10)
                        for i in range(20)
                    },
                    "200 per-sample mnist predictions",
                ),
            ],
        )
    )

    jobs.append(
        PlannedJob(
            key="cifar-fgsm",
            group=PUBLIC,
            experiment="cifar10-robustness",
            description="fgsm adversarial evaluation on cifar10",
            status="failed",
            has_run=True,
            files=[
                PlannedFile(
                    "logs/stderr.log",
                    text("Traceback (most recent call last):\nRuntimeError: CUDA out of memory\n"),
                    "fgsm adversarial run crashed",
                ),
                PlannedFile(
                    "partial_results.json", as_json({"epsilon": [0.01, 0.03], "accuracy": [0.61, None]}), "partial adversarial results"
                ),
                PlannedFile("epsilon sweep.csv", text("epsilon,accuracy\n0.01,0.61\n"), "adversarial epsilon sweep on cifar10"),
            ],
            dirs=[
                PlannedDir(
                    "adversarial examples",
                    {f"class_{c}/example {i}.png": png(8, 8, c * 3 + i) for c in range(3) for i in range(2)},
                    "fgsm adversarial examples by class",
                ),
            ],
        )
    )

    jobs.append(
        PlannedJob(
            key="cifar-queued",
            group=PUBLIC,
            experiment="cifar10-robustness",
            description="pgd sweep waiting in the queue",
            status="queued",
            has_run=False,
        )
    )
    jobs.append(
        PlannedJob(
            key="cifar-deferred",
            group=PUBLIC,
            experiment="cifar10-robustness",
            description="deferred robustness evaluation",
            status="deferred",
            has_run=False,
        )
    )

    # A running job whose run has files nobody registered yet: tests register them.
    spare_files = [
        PlannedFile("spare/spare notes.txt", text("spare text\n"), register=False),
        PlannedFile("spare/spare.json", as_json({"spare": True}), register=False),
        PlannedFile("spare/spare.csv", text("a,b\n1,2\n"), register=False),
        PlannedFile("spare/spare.png", png(16, 16, 9), register=False),
        PlannedFile("spare/spare.bin", binary(256 * 1024, 99), register=False),
        PlannedFile("spare/spare-empty.txt", b"", register=False),
        # Plain small files for the registration and editing tests, one per test.
        *(PlannedFile(f"spare/more/file-{n:02d}.txt", text(f"spare file {n}\n"), register=False) for n in range(16)),
    ]
    spare_dirs = [
        PlannedDir(
            "spare_dir_a",
            {"one.txt": text("one\n"), "nested/two.txt": text("two\n"), "nested/deeper/three.bin": binary(1000, 7)},
            register=False,
        ),
        PlannedDir("spare dir b", {"data.csv": text("x,y\n0,0\n"), "plots/p.png": png(8, 8, 5)}, register=False),
        *(
            PlannedDir(f"spare/dirs/dir-{n:02d}", {"a.txt": text(f"dir {n}\n"), "sub/b.txt": text("b\n")}, register=False)
            for n in range(6)
        ),
    ]
    jobs.append(
        PlannedJob(
            key="mnist-running",
            group=PUBLIC,
            experiment="mnist-baseline",
            description="mnist fine-tuning in progress",
            status="started",
            has_run=True,
            files=[PlannedFile("outputs/progress.txt", text("epoch 3 of 10\n"), "progress of a running job"), *spare_files],
            dirs=spare_dirs,
            spare=True,
        )
    )

    jobs.append(
        PlannedJob(
            key="resnet-patch",
            group=LAB,
            experiment="resnet-adversarial-patch",
            description="resnet50 adversarial patch attack",
            status="finished",
            has_run=True,
            files=[
                PlannedFile("patch.png", png(48, 48, 7), "adversarial patch for resnet50", MODEL_TASK),
                PlannedFile("models/resnet50_weights.bin", binary(MIB, 70), "resnet50 weights", MODEL_TASK),
                PlannedFile(
                    "attack_config.json",
                    as_json({"attack": "adversarial patch", "target": 859, "scale": [0.1, 0.3]}),
                    "patch attack configuration",
                ),
                PlannedFile("scores.csv", csv_table(30, 71), "patch attack scores per epoch", TABLE_TASK),
                PlannedFile(
                    "évaluation finale.txt",
                    text("Évaluation: le patch réduit la précision de 76 % à 12 %.\n"),
                    "final evaluation, accented name",
                ),
                PlannedFile("no detections.txt", b"", None),
                PlannedFile("patch_mask.png", png(48, 48, 8), "binary mask of the adversarial patch"),
            ],
            dirs=[
                PlannedDir(
                    "patch_sweep",
                    {
                        f"scale_{s}/rotation_{r:02d}/trial_{t}/metrics.json": as_json(
                            {"scale": s, "rotation": r, "trial": t, "top1": 0.12 + t / 100}
                        )
                        for s in ("0.1", "0.3")
                        for r in (0, 45)
                        for t in (1, 2)
                    },
                    "patch sweep over scale and rotation",
                ),
                PlannedDir(
                    "patched images",
                    {f"img_{i:02d}.png": png(12, 12, i) for i in range(12)},
                    None,
                ),
            ],
            edits=[("patch.png", "adversarial patch for resnet50, printable version")],
        )
    )

    jobs.append(
        PlannedJob(
            key="resnet-transfer",
            group=LAB,
            experiment="resnet-adversarial-patch",
            description="patch transfer to vit failed",
            status="failed",
            has_run=True,
            files=[
                PlannedFile("traceback.txt", text("ValueError: patch size does not match input\n"), "patch transfer traceback"),
                PlannedFile("stdout.log", text("loading vit...\n" * 200), None),
            ],
            dirs=[
                PlannedDir(
                    "logs", {"worker/2026/run.log": text("worker log\n"), "worker/2026/metrics/raw.csv": text("t,v\n0,1\n")}, "worker logs"
                ),
            ],
        )
    )

    jobs.append(
        PlannedJob(
            key="resnet-queued",
            group=LAB,
            experiment="resnet-adversarial-patch",
            description="queued patch evaluation on imagenet",
            status="queued",
            has_run=False,
        )
    )

    jobs.append(
        PlannedJob(
            key="resnet-running",
            group=LAB,
            experiment="object-detection",
            description="yolo detection under patch attack, running",
            status="started",
            has_run=True,
            files=[
                PlannedFile("live_metrics.csv", csv_table(5, 80), "live detection metrics"),
                PlannedFile("detections.json", as_json([{"box": [1, 2, 3, 4], "score": 0.9}]), "yolo detections with patch"),
            ],
            dirs=[
                PlannedDir(
                    "checkpoint",
                    {
                        "weights/last.bin": binary(32 * 1024, 81),
                        "weights/best.bin": binary(32 * 1024, 82),
                        "meta/info.json": as_json({"epoch": 2}),
                    },
                    "yolo checkpoint",
                ),
            ],
        )
    )
    return jobs


def write_run_sources(job: PlannedJob, stage: Path) -> tuple[list[list[str | None]], list[list[str | None]]]:
    """Write a job's planned files under ``stage`` and say how to log them.

    Returns:
        ``(files, dirs)`` as the seed tool's ``log-runs`` wants them:
        ``[local_path, artifact_path_or_None]`` pairs.
    """
    files: list[list[str | None]] = []
    dirs: list[list[str | None]] = []
    for index, planned in enumerate(job.files):
        parent, _, name = planned.rel.rpartition("/")
        # One folder per file: MLflow logs a file under its own base name.
        local = stage / job.key / "files" / str(index) / name
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(planned.data)
        files.append([str(local), parent or None])
    for index, planned_dir in enumerate(job.dirs):
        root = stage / job.key / "dirs" / str(index)
        root.mkdir(parents=True, exist_ok=True)
        for rel, data in planned_dir.files.items():
            local = root / rel
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_bytes(data)
        for rel in planned_dir.empty_dirs:
            (root / rel).mkdir(parents=True, exist_ok=True)
        dirs.append([str(root), planned_dir.rel])
    return files, dirs


PLUGIN_SOURCE = '''"""Demo plugin for artifact-browser: one function task and two artifact tasks."""
from pathlib import Path
from typing import Any

from dioptra import pyplugs
from dioptra.sdk.api.artifact import ArtifactTaskInterface


@pyplugs.register
def train(epochs: int = 1) -> Any:
    return {"epochs": epochs}


class save_model(ArtifactTaskInterface):
    @staticmethod
    def serialize(working_dir: Path, name: str, contents: Any, **kwargs) -> Path:
        path = working_dir / f"{name}.bin"
        path.write_bytes(contents)
        return path

    @staticmethod
    def deserialize(working_dir: Path, path: str, **kwargs) -> Any:
        return (working_dir / path).read_bytes()

    @staticmethod
    def validation() -> dict[str, Any] | None:
        return None


class save_table(ArtifactTaskInterface):
    @staticmethod
    def serialize(working_dir: Path, name: str, contents: Any, **kwargs) -> Path:
        path = working_dir / f"{name}.csv"
        path.write_text(contents)
        return path

    @staticmethod
    def deserialize(working_dir: Path, path: str, **kwargs) -> Any:
        return (working_dir / path).read_text()

    @staticmethod
    def validation() -> dict[str, Any] | None:
        return None
'''
