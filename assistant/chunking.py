"""Units → chunks: exact spans that never cross a section and respect sentence boundaries."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from assistant import annotate
from assistant.sentences import split_sentences
from assistant.types import Chunk, Kind, Unit

_NOT_CHUNKED = frozenset({"heading", "caption", "table_header"})


@dataclass(frozen=True)
class SentenceRecord:
    """One sentence of a searchable chunk, as the embedder sees it (with its section name)."""

    row: int  # the chunk's vector row
    start: int
    end: int
    text: str
    hash: str


def sentence_records(chunks: Sequence[Chunk], searchable: Sequence[int], texts: dict[str, str]) -> list[SentenceRecord]:
    """Sentence-level units for scoring inside chunks; the section name travels with each sentence."""
    out = []
    for row, pos in enumerate(searchable):
        c = chunks[pos]
        for s, e in c.sentences:
            body = texts[c.doc_id][s:e]
            text = f"{c.section}: {body}" if c.section else body
            out.append(SentenceRecord(row, s, e, text, hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]))
    return out


def _groups(units: Sequence[Unit], text: str) -> Iterable[list[Unit]]:
    """Consecutive units that read as one piece: a lead-in paragraph ending in ':' with its list."""
    group: list[Unit] = []
    for u in units:
        if u.block in _NOT_CHUNKED:
            if group:
                yield group
            group = []
            continue
        if group:
            last = group[-1]
            same_place = last.section_start == u.section_start and last.section_path == u.section_path
            same_class = (last.kind in ("body", "safety")) == (u.kind in ("body", "safety"))
            joins_list = u.block == "list_item" and (
                last.block == "list_item" or text[last.start : last.end].rstrip().endswith(":")
            )
            if same_place and same_class and joins_list and u.kind in ("body", "safety"):
                group.append(u)
                continue
            yield group
        group = [u]
    if group:
        yield group


def _windows(text: str, start: int, end: int, max_chars: int) -> list[tuple[int, int]]:
    """Split one long unit at sentence boundaries into pieces of at most ``max_chars`` (when possible)."""
    sentences = split_sentences(text, start, end) or [(start, end)]
    out: list[tuple[int, int]] = []
    cur_start, cur_end = sentences[0]
    for s, e in sentences[1:]:
        if e - cur_start > max_chars:
            out.append((cur_start, cur_end))
            cur_start = s
        cur_end = e
    out.append((cur_start, cur_end))
    return out


def _make_chunk(doc_id: str, text: str, units: Sequence[Unit], start: int, end: int, max_ref: int) -> Chunk:
    first = units[0]
    kinds = {u.kind for u in units}
    kind: Kind = "safety" if "safety" in kinds else first.kind
    evidence = next((u.evidence for u in units if u.evidence), None)
    body = text[start:end]
    context = "\n".join(u.context for u in units if u.context)
    chunk = Chunk(
        id=f"{doc_id}:{start}-{end}", doc_id=doc_id, start=start, end=end, text=body, kind=kind,
        block=first.block, section=first.section, section_path=first.section_path,
        section_start=first.section_start, sentences=tuple(split_sentences(text, start, end)),
        evidence=evidence, markers=annotate.footnote_markers(body, max_ref) if kind in ("body", "safety") else (),
        context=context,
    )
    digest = hashlib.sha256(chunk.embedding_text().encode("utf-8")).hexdigest()[:20]
    return Chunk(**{**chunk.__dict__, "content_hash": digest})


def chunk_units(
    doc_id: str, text: str, units: Sequence[Unit], max_chars: int = 600, min_chars: int = 0, max_ref: int = 0
) -> list[Chunk]:
    """Chunk one document's units. Table rows stay whole; long paragraphs split by sentence."""
    chunks: list[Chunk] = []
    for group in _groups(units, text):
        pieces: list[list[Unit]] = [[]]
        for u in group:
            cur = pieces[-1]
            if cur and (u.end - cur[0].start > max_chars) and (u.end - u.start >= min_chars):
                pieces.append([])
            pieces[-1].append(u)
        for piece in pieces:
            start, end = piece[0].start, piece[-1].end
            if end - start > max_chars and len(piece) == 1 and piece[0].block != "table_row":
                for s, e in _windows(text, start, end, max_chars):
                    chunks.append(_make_chunk(doc_id, text, piece, s, e, max_ref))
            else:
                chunks.append(_make_chunk(doc_id, text, piece, start, end, max_ref))
    return _merge_small(chunks, text, min_chars, max_chars, doc_id, max_ref)


def _merge_small(chunks: list[Chunk], text: str, min_chars: int, max_chars: int, doc_id: str,
                 max_ref: int) -> list[Chunk]:
    """Join a too-small chunk to its neighbour in the same section (only when min_chars > 0)."""
    if min_chars <= 0:
        return chunks
    out: list[Chunk] = []
    for c in chunks:
        prev = out[-1] if out else None
        if (prev is not None and prev.section_start == c.section_start and prev.kind == c.kind
                and prev.block == c.block == "paragraph" and c.end - prev.start <= max_chars
                and min(len(prev.text), len(c.text)) < min_chars):
            unit = Unit(doc_id, prev.start, c.end, "paragraph", prev.kind, prev.section, prev.section_path,
                        prev.section_start, prev.evidence or c.evidence)
            out[-1] = _make_chunk(doc_id, text, [unit], prev.start, c.end, max_ref)
        else:
            out.append(c)
    return out
