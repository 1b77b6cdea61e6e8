"""Users' own files: edge lists as spreadsheets and shells write them, node
features, and PyG graphs saved with ``torch.save``.

Each reader either accepts what it is given, logging one line that names
what it dropped, converted or assumed, or raises ``ValueError`` naming the
file (and line) and the fix, before any training starts.
"""
from __future__ import annotations

import gzip
import logging
import re
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import Tensor
from torch_geometric.data import Data
from torch_geometric.utils import coalesce, remove_self_loops, to_undirected

from ..checks import check_edge_index

log = logging.getLogger("pyg_vgae")

EDGE_LIST_SUFFIXES = (".csv", ".tsv", ".txt", ".edges", ".el")
FEATURE_SUFFIXES = (".npy", ".csv", ".tsv", ".txt")
#: Above this many nodes, featureless graphs get random features, not
#: one-hot identities.
MAX_IDENTITY_NODES = 20_000
#: Integer ids are relabelled to 0..n-1 when the largest id exceeds the
#: number of distinct ids by this factor (one huge id among small ones).
SPARSE_ID_FACTOR = 4
#: Words that mark the first row of an edge list as a header.
HEADER_WORDS = {"source", "target", "src", "dst", "from", "to", "u", "v",
                "node", "node1", "node2", "node_1", "node_2", "id1", "id2",
                "head", "tail", "i", "j", "a", "b", "weight", "w",
                "source_id", "target_id", "src_id", "dst_id", "from_id",
                "to_id", "start", "end", "in", "out"}
SEPARATORS = re.compile(r"[,;\t| ]+")
#: Dense features above this many bytes stay refused when stored sparse.
MAX_DENSE_FEATURE_BYTES = 4 << 30


def read_text(path: Path) -> str:
    """The text of ``path``: gzip, a UTF-8 byte-order mark and UTF-16 are
    recognised from the bytes; CRLF line ends are handled by the callers'
    ``splitlines``."""
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(f"{path} looks gzip-compressed but cannot be "
                             f"read ({error}); is it truncated?") from None
        log.info("%s: read as gzip", path.name)
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff"):
        log.info("%s: read as UTF-16", path.name)
        return raw.decode("utf-16")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path} is not UTF-8 or UTF-16 text; save it as "
                         f"UTF-8 CSV") from None


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    """``(line number, fields)`` of each line that is not blank or a
    comment; fields lose surrounding quotes."""
    rows = []
    for number, line in enumerate(read_text(path).splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if line:
            fields = [field.strip().strip("\"'")
                      for field in SEPARATORS.split(line) if field.strip()]
            rows.append((number, fields))
    return rows


def _is_int(text: str) -> bool:
    return re.fullmatch(r"[+-]?\d+", text) is not None


def _drop_header(path: Path, rows: list) -> list:
    """Without the first row when it names the columns."""
    if not rows:
        return rows
    first = [field.lower() for field in rows[0][1][:2]]
    looks_named = all(field in HEADER_WORDS for field in first)
    rest_numeric = len(rows) > 1 and all(
        _is_int(field) for _, fields in rows[1:] for field in fields[:2])
    if looks_named or (not all(_is_int(f) for f in first) and rest_numeric):
        log.info("%s: skipped the header row '%s'", path.name,
                 " ".join(rows[0][1]))
        return rows[1:]
    return rows


def read_edge_weights(path: str | Path) -> Tensor:
    """The third column of an edge list, one weight per edge row, in the
    order :func:`read_edge_list` reads the rows."""
    path = Path(path)
    rows = _drop_header(path, _rows(path))
    weights = []
    for number, fields in rows:
        if len(fields) < 3 or not _is_number(fields[2]):
            raise ValueError(f"{path}:{number}: --weighted needs a numeric "
                             f"third column (the edge weight)")
        weights.append(float(fields[2]))
    weight = torch.tensor(weights)
    if not torch.isfinite(weight).all():
        raise ValueError(f"{path}: edge weights must be finite")
    return weight


def read_edge_list(path: str | Path) -> tuple[Tensor, int]:
    """Read an edge list; returns ``(edge_index, num_nodes)``.

    Two columns of node ids per line (commas, semicolons, tabs, pipes or
    spaces between them; ``#`` starts a comment); a header row and any
    further columns (weights) are dropped. Integer ids are kept when they
    are dense, shifted when they start at 1, and relabelled ``0..n-1`` in
    sorted order when they are sparse or beyond int64; other ids (strings)
    are relabelled in order of first appearance. Each change is logged.
    """
    path = Path(path)
    values = _plain_integer_pairs(path)
    if values is not None:
        return _numbered_ids(path, values)
    rows = _drop_header(path, _rows(path))
    if not rows:
        raise ValueError(f"{path} holds no edges")
    for number, fields in rows:
        if len(fields) < 2:
            raise ValueError(f"{path}:{number}: expected two node ids, got "
                             f"'{' '.join(fields)}'")
    extra = max(len(fields) for _, fields in rows)
    if extra > 2:
        log.info("%s: ignored columns 3-%d (weights or attributes)",
                 path.name, extra)
    ids = [fields[:2] for _, fields in rows]
    if all(_is_int(a) and _is_int(b) for a, b in ids):
        return _integer_ids(path, rows)
    numeric = [_is_int(a) + _is_int(b) for a, b in ids]
    for (number, fields), count in zip(rows, numeric):
        for field in fields[:2]:
            if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+|\d+e[+-]?\d+)",
                            field.lower()):
                raise ValueError(f"{path}:{number}: node ids must be "
                                 f"integers or names, got '{field}'")
        if any(numeric) and count < 2:
            raise ValueError(f"{path}:{number}: node ids must be integers "
                             f"throughout or names throughout; this line "
                             f"has '{fields[0]}' and '{fields[1]}' among "
                             f"integer ids")
    return _relabel(path, [a for pair in ids for a in pair], "named")


def _plain_integer_pairs(path: Path) -> Tensor | None:
    """The first two columns of an edge list of integer ids with one
    separator throughout, read by numpy's C parser (10M edges: 0.9 s and
    0.2 GB, where the general reader below took two minutes and 5 GB);
    ``None`` for anything else (names, mixed separators, negative or
    oversized ids, short rows, UTF-16), which the general reader then reads
    or refuses with the line to fix."""
    with open(path, "rb") as file:
        opener = gzip.open if file.read(2) == b"\x1f\x8b" else open
    try:
        with opener(path, "rt", encoding="utf-8-sig") as file:
            head = [line.split("#", 1)[0].strip()
                    for line, _ in zip(file, range(64))]
    except (OSError, UnicodeDecodeError, EOFError):
        return None
    head = [line for line in head if line]
    if not head:
        return None
    separator = next((sep for sep in ",\t;|" if sep in head[-1]), None)
    fields = [SEPARATORS.split(line) for line in head]
    skip = 0 if all(_is_int(f) for f in fields[0][:2]) else 1
    try:
        with opener(path, "rt", encoding="utf-8-sig") as file, \
                warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "no data"
            # numpy parses "1.5" as an int through a float, with a warning
            warnings.simplefilter("error", DeprecationWarning)
            pairs = np.loadtxt(file, dtype=np.int64, comments="#",
                               delimiter=separator, usecols=(0, 1),
                               skiprows=_first_row(file) + skip, ndmin=2)
    except (ValueError, OverflowError, IndexError, UnicodeDecodeError,
            EOFError, OSError, DeprecationWarning):
        return None
    values = torch.from_numpy(pairs).reshape(-1)
    if values.numel() == 0 or int(values.min()) < 0:
        return None
    if skip:
        log.info("%s: skipped the header row '%s'", path.name, head[0])
    extra = max(len(row) for row in fields[skip:])
    if extra > 2:
        log.info("%s: ignored columns 3-%d (weights or attributes)",
                 path.name, extra)
    return values


def _first_row(file) -> int:
    """Lines before the first that is not blank or a comment (rewinds
    ``file`` to its start)."""
    file.seek(0)
    count = 0
    for line in file:
        if line.split("#", 1)[0].strip():
            break
        count += 1
    file.seek(0)
    return count


def _integer_ids(path: Path, rows: list) -> tuple[Tensor, int]:
    values = [int(field) for _, fields in rows for field in fields[:2]]
    low = min(values)
    if low < 0:
        number = next(n for n, f in rows if min(int(f[0]), int(f[1])) < 0)
        raise ValueError(f"{path}:{number}: node ids must not be negative, "
                         f"got {low}")
    if max(values) >= 2 ** 63:
        return _relabel(path, values, "sparse integer", sort=True)
    return _numbered_ids(path, torch.tensor(values, dtype=torch.long))


def _numbered_ids(path: Path, values: Tensor) -> tuple[Tensor, int]:
    """``(edge_index, num_nodes)`` of the flat non-negative ids ``values``
    (two per edge): kept when dense, shifted when they run from 1,
    relabelled in sorted order when sparse."""
    ids, slots = torch.unique(values, return_inverse=True)
    low, high, distinct = int(ids[0]), int(ids[-1]), ids.numel()
    if high + 1 > SPARSE_ID_FACTOR * distinct + 1000:
        log.info("%s: relabelled %d sparse integer node ids to 0..%d "
                 "(sorted order)", path.name, distinct, distinct - 1)
        values, high = slots, distinct - 1
    elif low == 1 and high == distinct:
        log.info("%s: node ids run from 1 to %d: read as 1-based (node 1 is "
                 "row 0)", path.name, high)
        values, high = values - 1, high - 1
    return values.view(-1, 2).t().contiguous(), high + 1


def _relabel(path: Path, labels: list, kind: str,
             sort: bool = False) -> tuple[Tensor, int]:
    order = sorted(set(labels)) if sort else list(dict.fromkeys(labels))
    index = {label: position for position, label in enumerate(order)}
    log.info("%s: relabelled %d %s node ids to 0..%d (%s order)", path.name,
             len(order), kind, len(order) - 1,
             "sorted" if sort else "first-appearance")
    values = [index[label] for label in labels]
    edges = torch.tensor(values, dtype=torch.long).view(-1, 2).t()
    return edges.contiguous(), len(order)


def clean_weighted_edges(edge_index: Tensor, weight: Tensor, num_nodes: int,
                         directed: bool = False) -> tuple[Tensor, Tensor]:
    """:func:`clean_edges` carrying weights: duplicates and the two
    directions of an undirected edge get their mean weight."""
    edge_index, weight = remove_self_loops(edge_index, weight)
    edge_index, weight = coalesce(edge_index, weight, num_nodes=num_nodes,
                                  reduce="mean")
    if not directed:
        edge_index, weight = to_undirected(edge_index, weight,
                                           num_nodes=num_nodes, reduce="mean")
    return edge_index, weight


def clean_edges(edge_index: Tensor, num_nodes: int,
                directed: bool = False) -> Tensor:
    """Without self-loops or duplicates, undirected unless ``directed``;
    logs what it changed."""
    count = edge_index.size(1)
    no_loops, _ = remove_self_loops(edge_index)
    if no_loops.size(1) < count:
        log.info("removed %d self-loops", count - no_loops.size(1))
    unique = coalesce(no_loops, num_nodes=num_nodes)
    if unique.size(1) < no_loops.size(1):
        log.info("removed %d duplicate edges",
                 no_loops.size(1) - unique.size(1))
    del no_loops
    if directed or _symmetric(unique, num_nodes):
        return unique
    undirected = to_undirected(unique, num_nodes=num_nodes)
    if undirected.size(1) != unique.size(1):
        log.info("made the graph undirected (%d -> %d directed edges)",
                 unique.size(1), undirected.size(1))
    return undirected


def _symmetric(edge_index: Tensor, num_nodes: int) -> bool:
    """Whether a coalesced ``edge_index`` holds both directions of every
    edge: one sort of the reversed keys, where ``to_undirected`` would sort
    twice as many (at 20M edges 0.6 GB less at the loader's peak)."""
    keys = edge_index[0] * num_nodes + edge_index[1]  # sorted: coalesced
    reversed_keys = edge_index[1] * num_nodes + edge_index[0]
    return torch.equal(reversed_keys.sort().values, keys)


def _existing_file(path: str | Path, what: str, fix: str) -> Path:
    """``path`` if it is a file; a folder or a missing path is refused."""
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"'{path}' is a folder; pass {fix}")
    if not path.is_file():
        raise FileNotFoundError(f"no such {what}: '{path}'")
    return path


def read_features(path: str | Path, num_nodes: int) -> Tensor:
    """Node features from ``.npy`` or a text table (one row per node; a
    header row is skipped; a 1-D array is one feature)."""
    path = _existing_file(path, "features file", "a .npy or .csv file")
    if path.suffix == ".npy":
        array = _read_npy(path)
    elif path.suffix in FEATURE_SUFFIXES:
        array = _read_table(path)
    else:
        raise ValueError(f"features must be a .npy or .csv file, got "
                         f"'{path.name}'")
    if array.ndim == 1:
        log.info("%s: a 1-D array, read as one feature per node", path.name)
        array = array.reshape(-1, 1)
    if array.ndim != 2:
        raise ValueError(f"features in {path} must be a 2-D table, got "
                         f"shape {array.shape}")
    if array.shape[0] != num_nodes:
        raise ValueError(f"features in {path} have {array.shape[0]} rows but "
                         f"the graph has {num_nodes} nodes")
    if array.shape[1] == 0:
        raise ValueError(f"features in {path} have no columns")
    x = torch.as_tensor(array, dtype=torch.float)
    if not torch.isfinite(x).all():
        raise ValueError(f"features in {path} hold NaN or infinite values "
                         f"(or values beyond float32); clean or impute them")
    return x


def _read_npy(path: Path) -> np.ndarray:
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as error:
        if "allow_pickle" in str(error):
            raise ValueError(f"{path} holds Python objects (dtype object); "
                             f"save a numeric array: np.save(path, "
                             f"x.astype(np.float32))") from None
        raise ValueError(f"{path} is not a readable .npy file "
                         f"({error})") from None
    except (OSError, EOFError) as error:
        raise ValueError(f"{path} is not a readable .npy file "
                         f"({error})") from None
    if not isinstance(array, np.ndarray):
        raise ValueError(f"{path} holds several arrays (.npz); save one with "
                         f"np.save")
    if array.dtype.kind not in "biuf":
        raise ValueError(f"{path} holds {array.dtype} values; save a numeric "
                         f"array")
    if array.dtype.kind != "f":
        log.info("%s: converted %s features to float32", path.name,
                 array.dtype)
    return array.astype(np.float32)


def _read_table(path: Path) -> np.ndarray:
    rows = _rows(path)
    if rows and not all(_is_number(field) for field in rows[0][1]):
        log.info("%s: skipped the header row", path.name)
        rows = rows[1:]
    if not rows:
        raise ValueError(f"features file {path} holds no rows")
    width = len(rows[0][1])
    for number, fields in rows:
        if len(fields) != width:
            raise ValueError(f"{path}:{number}: {len(fields)} values where "
                             f"the first row has {width}; every row needs "
                             f"the same number of features")
        for field in fields:
            if not _is_number(field):
                raise ValueError(f"{path}:{number}: '{field}' is not a "
                                 f"number")
    return np.array([[float(field) for field in fields]
                     for _, fields in rows], dtype=np.float32)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def featureless(num_nodes: int, seed: int = 0) -> Tensor:
    """One-hot identities (the papers' featureless input) for small graphs,
    fixed random Gaussian features for large ones."""
    if num_nodes <= MAX_IDENTITY_NODES:
        return torch.eye(num_nodes)
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(num_nodes, 64, generator=generator)


def graph_suffix(path: Path) -> str:
    """The suffix that says what a graph file holds (``g.csv.gz`` ->
    ``.csv``)."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def load_graph_file(path: str | Path, features: str | Path | None = None,
                    directed: bool = False, weighted: bool = False) -> Data:
    """A user's graph: a saved PyG ``Data`` (``.pt``) or an edge list
    (optionally gzip-compressed); ``directed`` keeps each edge's
    direction, ``weighted`` reads edge weights (an edge list's third
    column, a saved graph's ``edge_weight``)."""
    path = _existing_file(path, "graph file", "a .pt or edge-list file (or "
                          "--root for named datasets)")
    suffix = graph_suffix(path)
    if suffix == ".pt":
        data = _read_saved_graph(path)
    elif suffix in EDGE_LIST_SUFFIXES:
        edge_index, num_nodes = read_edge_list(path)
        data = Data(edge_index=edge_index, num_nodes=num_nodes)
        if weighted:
            data.edge_weight = read_edge_weights(path)
    else:
        raise ValueError(f"unknown graph file type '{path.suffix}'; use a "
                         f"PyG Data saved as .pt or an edge list "
                         f"({', '.join(EDGE_LIST_SUFFIXES)}, or .gz of one)")
    if weighted:
        if data.get("edge_weight") is None:
            raise ValueError(f"{path} holds no edge_weight for --weighted")
        data.edge_index, data.edge_weight = clean_weighted_edges(
            data.edge_index, data.edge_weight.float(), data.num_nodes,
            directed)
    else:
        data.edge_weight = None
        data.edge_index = clean_edges(data.edge_index, data.num_nodes,
                                      directed)
    if features is not None:
        if data.x is not None:
            log.info("--features %s replaces the features stored in %s",
                     Path(features).name, path.name)
        data.x = read_features(features, data.num_nodes)
    data.name = path.name.split(".")[0] or path.stem
    return prepare_graph(data, str(path))


def _read_saved_graph(path: Path) -> Data:
    try:
        data = torch.load(path, weights_only=False)
    except Exception as error:  # torch raises many types for bad files
        reason = str(error).splitlines()[0] if str(error) else ""
        raise ValueError(f"{path} is not a readable torch file "
                         f"({type(error).__name__}: {reason}); save a "
                         f"graph with torch.save(data, path)") from error
    if not isinstance(data, Data):
        raise ValueError(f"{path} holds a {type(data).__name__}, not a "
                         f"torch_geometric.data.Data graph")
    if data.edge_index is None:
        raise ValueError(f"{path} holds a graph without edge_index")
    check_edge_index(data.edge_index, data.num_nodes)
    return data


def prepare_graph(data: Data, source: str) -> Data:
    """Features, labels and edges in the form training needs: dense float
    features (identities when there are none), integer class labels with
    ``-1`` for unlabelled nodes, and at least one edge."""
    if data.edge_index.numel() == 0:
        raise ValueError(f"{source} has no edges (after removing self-loops"
                         f"): there is nothing to train on")
    isolated = data.num_nodes - int(torch.unique(data.edge_index).numel())
    if isolated > data.num_nodes // 2:
        log.info("%d of %d nodes have no edges; they get embeddings from "
                 "their features only", isolated, data.num_nodes)
    data.x = _dense_features(data, source)
    if getattr(data, "y", None) is not None:
        data.y = _class_labels(data.y, data.num_nodes, source)
        if "num_classes" not in data:
            data.num_classes = int(data.y.max()) + 1
    return data


def _dense_features(data: Data, source: str) -> Tensor:
    x = data.x
    if x is None:
        log.info("no node features: using %s", "one-hot identities"
                 if data.num_nodes <= MAX_IDENTITY_NODES else
                 "random Gaussian features")
        return featureless(data.num_nodes)
    if not isinstance(x, Tensor):
        raise ValueError(f"features in {source} are a {type(x).__name__}, "
                         f"not a torch.Tensor")
    if x.layout != torch.strided:
        nbytes = x.size(0) * x.size(1) * 4
        if nbytes > MAX_DENSE_FEATURE_BYTES:
            raise ValueError(f"sparse features in {source} would take "
                             f"{nbytes / 2**30:.1f} GiB dense; reduce them "
                             f"(e.g. TruncatedSVD) first")
        log.info("%s: sparse features stored dense (%d x %d)", source,
                 x.size(0), x.size(1))
        x = x.to_dense()
    if x.dim() == 1:
        log.info("%s: 1-D features read as one feature per node", source)
        x = x.view(-1, 1)
    if x.dim() != 2 or x.size(0) != data.num_nodes:
        raise ValueError(f"features in {source} have shape "
                         f"{tuple(x.shape)}, expected one row per node "
                         f"({data.num_nodes} nodes)")
    if x.is_complex() or x.dtype == torch.bool or not (
            x.is_floating_point() or x.dtype in (torch.uint8, torch.int8,
                                                 torch.int16, torch.int32,
                                                 torch.int64)):
        raise ValueError(f"features in {source} have dtype {x.dtype}; store "
                         f"real numbers")
    x = x.float()
    if not torch.isfinite(x).all():
        raise ValueError(f"features in {source} hold NaN or infinite values; "
                         f"clean or impute them first")
    return x


def _class_labels(y: Tensor, num_nodes: int, source: str) -> Tensor:
    """Integer labels; one-hot rows become their class, ``-1`` marks an
    unlabelled node."""
    if y.dim() == 2 and y.size(0) == num_nodes and y.size(1) > 1:
        ones = y.float().sum(dim=1)
        if not bool(((ones == 1) | (ones == 0)).all()) or \
                not bool(((y == 0) | (y == 1)).all()):
            raise ValueError(f"labels in {source} are a {tuple(y.shape)} "
                             f"table but not one-hot; store one class per "
                             f"node")
        log.info("%s: one-hot labels read as class ids", source)
        y = torch.where(ones > 0, y.float().argmax(dim=1),
                        torch.full_like(ones, -1, dtype=torch.long))
    y = y.view(-1) if y.dim() == 2 and y.size(1) == 1 else y
    if y.dim() != 1 or y.numel() != num_nodes:
        raise ValueError(f"labels in {source} have shape {tuple(y.shape)}, "
                         f"expected one per node ({num_nodes})")
    if y.is_floating_point():
        if not bool((y == y.round()).all()):
            raise ValueError(f"labels in {source} are not whole numbers")
        y = y.long()
    if int(y.min()) < -1:
        raise ValueError(f"labels in {source} hold {int(y.min())}; use class "
                         f"ids 0..C-1 and -1 for unlabelled nodes")
    unlabelled = int((y == -1).sum())
    if unlabelled == num_nodes:
        raise ValueError(f"every label in {source} is -1 (unlabelled)")
    if unlabelled:
        log.info("%s: %d nodes are unlabelled (-1) and left out of label "
                 "scores", source, unlabelled)
    return y.long()
