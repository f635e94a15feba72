"""Text matching and relevance inside the search index (registry.engine), so that a
search does not ask PostgreSQL which agreements hold its words.

Each published agreement's token document (registry.search: its title's tokens, then
everything else it is found by) becomes posting lists: for every distinct token, the
positions of the agreements that hold it, each with a weight (how many times it
occurs, a title token counting ``TITLE_WEIGHT`` times). The vocabulary is kept sorted
as UTF-8 bytes, so the tokens that begin with a query word are one run of it and
their postings one slice: "partner" finds partners and partnership, 東 finds 東北
and 東京, as PostgreSQL's prefix query does.

Matching means what the SQL path means (``registry.search.search_agreements``, the
reference; the engine-vs-SQL comparison tests check text searches on both
databases): every query term (a token, or any of its equivalents) begins some token
of the document, and an agreement's public ID finds that agreement alone. A Japanese
bigram needs no exact-match rule here: a document token that begins with a bigram is
that bigram, since a run of Japanese script is always cut into bigrams.

Relevance is BM25 (Robertson and Zaragoza, "The Probabilistic Relevance Framework",
2009) over the weighted counts: for each query term,

    idf · tf · (k1 + 1) / (tf + k1 · (1 − b + b · length / average length)),
    idf = ln(1 + (N − df + 0.5) / (df + 0.5)),

summed over the terms, where a term's tf is its tokens' weights summed in the
document and df the number of agreements holding any of them. Equal scores go to the
newer record (higher id), as the SQL ordering breaks its ties. The SQL path ranks
with ``ts_rank`` (PostgreSQL) or title hits (SQLite); results ordered by relevance
are the engine's, and the comparison tests compare those as sets.
"""

import math
from collections.abc import Iterable

import numpy as np

from .conditions import EMPTY, positions_in
from .models import parse_public_id
from .search import query_terms

# A title word says more about an agreement than one of the many names it lists.
TITLE_WEIGHT = 3
# BM25's usual constants: how fast repeated words stop counting, and how much a long
# document (one with many participants) is discounted.
K1 = 1.2
B = 0.75
# Documents are read and cut into postings this many at a time (a bound on the
# memory a build needs for the Python strings of one batch).
BUILD_BATCH = 2000
# A (token, position) entry as one sortable integer: token code · WIDTH + position.
WIDTH = np.int64(1 << 32)
WEIGHT_MAX = np.iinfo(np.uint16).max  # a word's weight in one agreement, at most


class TextPostings:
    """The posting lists of one index, read from its arrays (built by ``text_arrays``
    or ``updated_text_arrays``; mapped from the shared store like the rest)."""

    def __init__(self, arrays: dict):
        self.vocabulary = arrays["text.vocabulary"]  # the tokens' bytes, end to end
        self.vocabulary_starts = arrays["text.vocabulary_starts"]
        self.starts = arrays["text.starts"]  # token i's postings: starts[i]:starts[i+1]
        self.positions = arrays["text.positions"]
        self.weights = arrays["text.weights"]
        self.lengths = arrays["text.lengths"]
        self.size = len(self.lengths)
        self.average_length = float(self.lengths.mean()) if self.size else 1.0

    def match(self, text: str, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which agreements match ``text`` (a boolean mask), and each one's score
        (``ids``: the index's, where a public ID is looked up)."""
        keep = np.ones(self.size, dtype=bool)
        scores = np.zeros(self.size, dtype=np.float64)
        public_pk = parse_public_id(text)
        if public_pk is not None:
            keep[:] = False
            if public_pk <= np.iinfo(np.int64).max:  # else no agreement's
                keep[positions_in(ids, np.array([public_pk], dtype=np.int64))] = True
            return keep, scores
        for alternatives in query_terms(text):
            counts = self._term_counts(alternatives)
            holding = counts > 0
            keep &= holding
            if not keep.any():
                break
            scores += self._bm25(counts, int(holding.sum()))
        return keep, scores

    def _term_counts(self, alternatives: Iterable[str]) -> np.ndarray:
        """Each agreement's weighted count of the tokens the term begins."""
        counts = np.zeros(self.size, dtype=np.float64)
        for token in alternatives:
            prefix = token.encode()
            first = self.first_at_least(prefix)
            last = self.first_at_least(prefix + b"\xff")  # no UTF-8 byte is 0xff
            start, stop = int(self.starts[first]), int(self.starts[last])
            if stop > start:
                counts += np.bincount(
                    self.positions[start:stop],
                    weights=self.weights[start:stop],
                    minlength=self.size,
                )
        return counts

    def _bm25(self, counts: np.ndarray, holding: int) -> np.ndarray:
        idf = math.log(1 + (self.size - holding + 0.5) / (holding + 0.5))
        norm = K1 * (1 - B + B * self.lengths / self.average_length)
        return idf * counts * (K1 + 1) / (counts + norm)

    def first_at_least(self, key: bytes) -> int:
        """The first token of the vocabulary not before ``key`` (binary search over
        the variable-length tokens: a query has a few words, the vocabulary ~10⁵)."""
        low, high = 0, len(self.vocabulary_starts) - 1
        while low < high:
            middle = (low + high) // 2
            if self.token(middle) < key:
                low = middle + 1
            else:
                high = middle
        return low

    def token(self, code: int) -> bytes:
        start, stop = self.vocabulary_starts[code], self.vocabulary_starts[code + 1]
        return self.vocabulary[start:stop].tobytes()

    def tokens(self) -> list[bytes]:
        blob = self.vocabulary.tobytes()
        bounds = self.vocabulary_starts.tolist()
        return [blob[bounds[i] : bounds[i + 1]] for i in range(len(bounds) - 1)]


def best_first(positions: np.ndarray, scores: np.ndarray, ids: np.ndarray):
    """``positions`` by descending score, equal scores newest (highest id) first."""
    return positions[np.lexsort((-ids[positions], -scores[positions]))]


def updated_text_arrays(
    postings: TextPostings,
    *,
    moved_to: np.ndarray,
    documents: list[tuple[int, str, str]],
    size: int,
) -> dict:
    """``postings`` carried into a new index of ``size`` agreements: each old
    agreement's postings moved to ``moved_to[position]`` (-1: gone), and the
    ``documents`` (new position, title, text) of the agreements read again added.

    Positions move in order (both indexes list agreements by id), so each token's
    kept postings stay sorted and the few new ones are inserted where they belong:
    a few passes over the postings, no sort of them and no new vocabulary unless a
    new word came."""
    fresh_builder = PostingsBuilder()
    fresh_builder.add(documents)
    fresh = TextPostings(fresh_builder.arrays(size))
    vocabulary, old_to_new, fresh_to_new = _vocabulary_with(postings, fresh.tokens())
    token_count = len(vocabulary[1]) - 1

    moved = moved_to[postings.positions]
    kept = moved >= 0
    # The entries dropped are few (those of the agreements read again or gone):
    # count them by token rather than counting the kept ones.
    dropped = np.flatnonzero(~kept)
    dropped_of = np.searchsorted(postings.starts, dropped, side="right") - 1
    kept_counts = np.zeros(token_count, dtype=np.int64)
    kept_counts[old_to_new] = np.diff(postings.starts) - np.bincount(
        dropped_of, minlength=len(old_to_new)
    )
    kept_starts = np.concatenate([[0], np.cumsum(kept_counts)])
    positions, weights = moved[kept], postings.weights[kept]

    insert_at = np.empty(len(fresh.positions), dtype=np.int64)
    fresh_counts = np.zeros(token_count, dtype=np.int64)
    for fresh_code, code in enumerate(fresh_to_new):
        first, last = fresh.starts[fresh_code], fresh.starts[fresh_code + 1]
        low, high = kept_starts[code], kept_starts[code + 1]
        insert_at[first:last] = low + np.searchsorted(
            positions[low:high], fresh.positions[first:last]
        )
        fresh_counts[code] = last - first
    positions = np.insert(positions, insert_at, fresh.positions)
    weights = np.insert(weights, insert_at, fresh.weights)

    lengths = np.zeros(size, dtype=np.float32)
    stays = moved_to >= 0
    lengths[moved_to[stays]] = postings.lengths[stays]
    lengths[fresh_builder.lengths_at] = fresh_builder.lengths
    counts = kept_counts + fresh_counts
    if not counts.all():  # words no agreement holds any more leave the vocabulary
        vocabulary = _without(vocabulary, counts > 0)
        counts = counts[counts > 0]
    starts = np.concatenate([[0], np.cumsum(counts)])
    return _arrays(vocabulary, starts, positions, weights, lengths)


def _vocabulary_with(postings: TextPostings, tokens: list[bytes]):
    """The vocabulary of ``postings`` with these tokens (sorted) added where new:
    the vocabulary (bytes, starts), each old token's new code, and each of
    ``tokens``' codes. Found by binary search and moved with numpy: an update reads
    as many tokens as its documents hold, not the whole vocabulary."""
    size = len(postings.vocabulary_starts) - 1
    found = [postings.first_at_least(token) for token in tokens]
    known = [
        code < size and postings.token(code) == token
        for code, token in zip(found, tokens, strict=True)
    ]
    new = [token for token, seen in zip(tokens, known, strict=True) if not seen]
    at = np.array(
        [code for code, seen in zip(found, known, strict=True) if not seen],
        dtype=np.int64,
    )
    # A new token goes before the old one it was found at, after the new ones
    # before it.
    old_to_new = np.arange(size) + np.searchsorted(at, np.arange(size), side="right")
    new_codes = at + np.arange(len(at))
    old_lengths = np.diff(postings.vocabulary_starts)
    new_lengths = np.array([len(token) for token in new], dtype=np.int64)
    blob = np.insert(
        postings.vocabulary,
        np.repeat(postings.vocabulary_starts[at], new_lengths),
        np.frombuffer(b"".join(new), dtype=np.uint8),
    )
    lengths = np.empty(size + len(new), dtype=np.int64)
    lengths[old_to_new] = old_lengths
    lengths[new_codes] = new_lengths
    starts = np.concatenate([[0], np.cumsum(lengths)])
    codes = iter(new_codes.tolist())
    tokens_to_new = [
        int(old_to_new[code]) if seen else next(codes)
        for code, seen in zip(found, known, strict=True)
    ]
    return (blob, starts), old_to_new, tokens_to_new


def _without(vocabulary, alive: np.ndarray):
    """The vocabulary (bytes, starts) of the tokens ``alive`` keeps."""
    blob, starts = vocabulary
    lengths = np.diff(starts)
    blob = blob[np.repeat(alive, lengths)]
    return blob, np.concatenate([[0], np.cumsum(lengths[alive])])


class PostingsBuilder:
    """Postings made from documents, (position, title tokens, other tokens) in
    position order: cut into (token, position, weight) entries a batch at a time (the
    Python strings of one batch are all a build holds at once), the vocabulary kept in
    the order tokens were first seen until ``arrays`` sorts it."""

    def __init__(self):
        self.code_of: dict[str, int] = {}
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.length_parts: list[tuple[np.ndarray, np.ndarray]] = []

    def add(self, documents: Iterable[tuple[int, str, str]]) -> None:
        batch = []
        for document in documents:
            batch.append(document)
            if len(batch) == BUILD_BATCH:
                self._add_batch(batch)
                batch = []
        if batch:
            self._add_batch(batch)

    def _add_batch(self, documents) -> None:
        code_of = self.code_of
        words, runs, run_weights, positions = [], [], [], []
        for position, title, text in documents:
            title_words, text_words = title.split(), text.split()
            words += title_words
            words += text_words
            runs += (len(title_words), len(text_words))
            run_weights += (TITLE_WEIGHT, 1)
            positions.append(position)
        for word in set(words).difference(code_of):
            code_of[word] = len(code_of)
        codes = np.fromiter(map(code_of.__getitem__, words), np.int64, len(words))
        runs = np.array(runs, dtype=np.int64)
        weights = np.repeat(np.array(run_weights, dtype=np.int64), runs)
        positions = np.array(positions, dtype=np.int64)
        per_document = runs[0::2] + runs[1::2]
        holder = np.repeat(positions, per_document)
        # One entry per (token, agreement), its weights summed.
        keys, inverse = np.unique(codes * WIDTH + holder, return_inverse=True)
        summed = np.minimum(np.bincount(inverse, weights=weights), WEIGHT_MAX)
        self.parts.append((keys // WIDTH, keys % WIDTH, summed.astype(np.uint16)))
        lengths = runs[0::2] * TITLE_WEIGHT + runs[1::2]
        self.length_parts.append((positions, lengths.astype(np.float32)))

    @property
    def vocabulary(self) -> list[bytes]:
        return [word.encode() for word in self.code_of]

    @property
    def lengths_at(self) -> np.ndarray:
        return np.concatenate([p for p, _ in self.length_parts] or [EMPTY])

    @property
    def lengths(self) -> np.ndarray:
        parts = [lengths for _, lengths in self.length_parts]
        return np.concatenate(parts) if parts else np.zeros(0, np.float32)

    def entries(self):
        if not self.parts:
            return EMPTY, EMPTY, np.zeros(0, np.uint16)
        return tuple(np.concatenate(column) for column in zip(*self.parts, strict=True))

    def arrays(self, size: int) -> dict:
        """The TextPostings arrays of an index of ``size`` agreements."""
        vocabulary = self.vocabulary
        order = sorted(range(len(vocabulary)), key=vocabulary.__getitem__)
        rank = np.empty(len(vocabulary), dtype=np.int64)
        rank[order] = np.arange(len(vocabulary))
        codes, positions, weights = self.entries()
        codes = rank[codes]
        # Entries come by position batch after batch: a stable sort by token keeps
        # each token's postings in position order.
        by_token = np.argsort(codes, kind="stable")
        lengths = np.zeros(size, dtype=np.float32)
        lengths[self.lengths_at] = self.lengths
        starts = np.searchsorted(codes[by_token], np.arange(len(vocabulary) + 1))
        return _arrays(
            _vocabulary([vocabulary[i] for i in order]),
            starts,
            positions[by_token],
            weights[by_token],
            lengths,
        )


def _vocabulary(tokens: list[bytes]):
    """Sorted tokens as the vocabulary's arrays: their bytes end to end, and where
    each starts."""
    sizes = np.fromiter((len(token) for token in tokens), np.int64, len(tokens))
    blob = np.frombuffer(b"".join(tokens), dtype=np.uint8).copy()
    return blob, np.concatenate([[0], np.cumsum(sizes)])


def _arrays(vocabulary, starts, positions, weights, lengths) -> dict:
    """The arrays of a TextPostings: the sorted vocabulary (``_vocabulary``), and
    each token's postings (``starts[i]:starts[i + 1]``) in position order."""
    blob, vocabulary_starts = vocabulary
    return {
        "text.vocabulary": blob,
        "text.vocabulary_starts": vocabulary_starts.astype(np.int64),
        "text.starts": np.asarray(starts, dtype=np.int64),
        "text.positions": positions.astype(np.int32),
        "text.weights": weights.astype(np.uint16),
        "text.lengths": lengths,
    }
