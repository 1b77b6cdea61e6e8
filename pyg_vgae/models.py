r"""Drop-in GAE, VGAE, ARGA and ARGVA.

Each class subclasses its namesake in :mod:`torch_geometric.nn` and keeps
every method and signature, so ``from pyg_vgae import GAE`` is the only change
PyG code needs.  What differs: the losses are computed from logits (exact and
finite at any scale), the original full-adjacency loss is available, negative
sampling can exclude held-out edges, variational models can generate graphs,
and ARGVA keeps no second copy of its encoder.
"""
from __future__ import annotations

import math
from typing import Any

import torch
import torch_geometric.nn as pyg_nn
from torch import Tensor
from torch.nn import Module
from torch_geometric.utils import to_undirected

from . import losses, pairs, sampling
from .checks import check_edge_index, mark_checked
from .decoders import InnerProductDecoder
from .ensemble import member_decoders
from .names import NEG_NODES

#: Upper clamp of :math:`\log\sigma`, as in PyG (keeps :math:`\sigma^2`
#: finite in float32).
MAX_LOGSTD = 10.0


class GAE(pyg_nn.GAE):
    r"""The Graph Auto-Encoder of `Kipf and Welling, 2016
    <https://arxiv.org/abs/1611.07308>`_, a drop-in for
    :class:`torch_geometric.nn.GAE`.

    .. math::
        Z = \mathrm{enc}(X, A), \qquad
        p(A_{ij} = 1 \mid z_i, z_j) = \sigma(\mathrm{dec}(z_i, z_j))

    Args:
        encoder: The encoder module.
        decoder: The decoder module; PyG's
            :class:`~torch_geometric.nn.models.InnerProductDecoder` when
            ``None`` (:class:`pyg_vgae.InnerProductDecoder`, a faster
            subclass).
        neg_ratio: Negatives sampled per positive edge by
            :meth:`recon_loss` when none are given.
        neg_nodes: Where sampled negatives end: ``"all"`` nodes, or only
            ``"linked"`` ones, that have an edge among the positives. In a
            split that holds edges out, a node without a training edge
            mostly had all its edges held out: drawn into negatives
            only, it learns to score low, and such nodes are the ends of
            more held-out edges than of held-out negatives (CiteSeer, seed
            100's split: 32.5 % of its test edges against 16.5 % of its
            test negatives).
        attr_decoder: Maps embeddings back to node features
            (:class:`~pyg_vgae.attributes.AttributeDecoder`), for feature
            reconstruction and anomaly scores.
        degree_decoder: Predicts each node's count of pairs to reconstruct
            (:class:`~pyg_vgae.DegreeDecoder`), MaskGAE's auxiliary task
            (``TrainConfig(degree_weight=...)``).
        directed: Edges have a direction: negatives are pairs that are no
            edge *in that direction* (half of them reversed training
            edges), for decoders with :math:`p(i \to j) \ne p(j \to i)`
            (:class:`~pyg_vgae.SourceTargetDecoder`,
            :class:`~pyg_vgae.GravityDecoder`).
        max_dense_bytes: Memory budget of anything that builds an
            :math:`N \times N` matrix (:meth:`full_recon_loss`); ``None``
            for no limit.
    """

    def __init__(self, encoder: Module, decoder: Module | None = None, *,
                 neg_ratio: float = 1.0, neg_nodes: str = "all",
                 max_dense_bytes: int | None = losses.DEFAULT_MAX_DENSE_BYTES,
                 directed: bool = False, attr_decoder: Module | None = None,
                 degree_decoder: Module | None = None):
        pyg_nn.GAE.__init__(self, encoder, decoder if decoder is not None
                            else InnerProductDecoder())
        if not (isinstance(neg_ratio, (int, float)) and neg_ratio > 0
                and math.isfinite(neg_ratio)):
            raise ValueError(f"neg_ratio must be a positive finite number, "
                             f"got {neg_ratio}")
        if neg_nodes not in NEG_NODES:
            raise ValueError(f"neg_nodes must be one of {NEG_NODES}, got "
                             f"{neg_nodes!r}")
        if max_dense_bytes is not None and not max_dense_bytes > 0:
            raise ValueError(f"max_dense_bytes must be positive or None, got "
                             f"{max_dense_bytes}")
        self.neg_ratio = neg_ratio
        self.neg_nodes = neg_nodes
        self.max_dense_bytes = max_dense_bytes
        self.directed = directed
        self.attr_decoder = attr_decoder
        self.degree_decoder = degree_decoder

    def encode(self, *args: Any, **kwargs: Any) -> Tensor:
        """Run the encoder; features whose dtype differs from the weights'
        and encoders that return a tuple are refused with the fix."""
        _check_input_dtype(self, args)
        out = self.encoder(*args, **kwargs)
        if isinstance(out, (tuple, list)):
            raise TypeError(
                f"{type(self).__name__}'s encoder returned a "
                f"{type(out).__name__} of {len(out)}; it needs one tensor. "
                f"For an encoder returning (mu, logstd) use VGAE or ARGVA")
        return out

    def sample_negatives(self, pos_edge_index: Tensor, num_nodes: int,
                         exclude_edge_index: Tensor | None = None,
                         num_neg_samples: int | None = None) -> Tensor:
        """Sample node pairs ``(i, j)``, ``i != j``, that are in neither
        direction in ``pos_edge_index`` nor in ``exclude_edge_index`` (for
        instance a split's validation and test edges), ``neg_ratio`` per
        positive edge by default, both ends among the nodes of
        ``pos_edge_index`` when ``neg_nodes`` is ``"linked"``
        (:func:`pyg_vgae.sampling.sample_negatives`)."""
        known = (pos_edge_index, ) if exclude_edge_index is None else (
            pos_edge_index, exclude_edge_index.to(pos_edge_index.device))
        if num_neg_samples is None:
            num_neg_samples = self.num_negatives(pos_edge_index.size(1))
        nodes = None if self.neg_nodes == "all" else \
            sampling.linked_nodes(pos_edge_index, num_nodes)
        sample = sampling.directed_negatives if self.directed else \
            sampling.sample_negatives
        negatives = sample(known, num_nodes, num_neg_samples, nodes=nodes)
        # Valid by construction: checking them again each step would cost
        # a host synchronisation on a GPU.
        return mark_checked(negatives, num_nodes)

    def num_negatives(self, num_positives: int) -> int:
        """How many negatives go with ``num_positives`` positive edges:
        ``neg_ratio`` per edge, at least one."""
        return max(1, round(self.neg_ratio * num_positives))

    def recon_loss(self, z: Tensor, pos_edge_index: Tensor,
                   neg_edge_index: Tensor | None = None, *,
                   exclude_edge_index: Tensor | None = None) -> Tensor:
        r"""Binary cross-entropy of positive edges and negative pairs,
        :func:`pyg_vgae.losses.sampled_recon_loss`, from logits.

        Args:
            z: The latent space :math:`Z`.
            pos_edge_index: The positive edges to train against.
            neg_edge_index: The negative pairs; sampled when ``None``.
            exclude_edge_index: Pairs the sampler must never return as
                negatives (e.g. validation and test edges).
        """
        check_edge_index(pos_edge_index, z.size(0), "pos_edge_index")
        if pos_edge_index.size(1) == 0:
            raise ValueError("pos_edge_index is empty: the loss needs at "
                             "least one positive edge")
        if neg_edge_index is None:
            neg_edge_index = self.sample_negatives(pos_edge_index, z.size(0),
                                                   exclude_edge_index)
        else:
            check_edge_index(neg_edge_index, z.size(0), "neg_edge_index")
        # An ensemble's members each on their own loss (pyg_vgae.ensemble).
        return sum(self._member_recon_loss(decoder, block, pos_edge_index,
                                           neg_edge_index)
                   for decoder, block in member_decoders(self.decoder, z))

    @staticmethod
    def _member_recon_loss(decoder: Module, z: Tensor, pos_edge_index: Tensor,
                           neg_edge_index: Tensor) -> Tensor:
        """The loss of one decoder. Other decoders get two calls, as PyG
        makes them, so that one with batch statistics sees PyG's batches;
        the inner product, which has none, decodes both in one where the
        CPU's blocked path (:mod:`pyg_vgae.pairs`) does not apply, and
        takes the loss of both in one (:func:`~pyg_vgae.losses.
        joined_recon_loss`): two gathers and two scatters fewer (decoding
        and loss, forward and backward, at Cora's sizes: 0.68-0.70 ms
        against 0.74-0.78 ms in two calls, 1 thread)."""
        count = pos_edge_index.size(1) + neg_edge_index.size(1)
        if type(decoder) is InnerProductDecoder and (
                z.device.type != "cpu" or count <= pairs.BLOCK):
            logits = decoder(
                z, torch.cat([pos_edge_index, neg_edge_index], dim=1),
                sigmoid=False)
            return losses.joined_recon_loss(logits, pos_edge_index.size(1))
        return losses.sampled_recon_loss(
            decoder(z, pos_edge_index, sigmoid=False),
            decoder(z, neg_edge_index, sigmoid=False))

    def weighted_recon_loss(self, z: Tensor, pos_edge_index: Tensor,
                            pos_edge_weight: Tensor,
                            neg_edge_index: Tensor | None = None,
                            likelihood: str = "bce") -> Tensor:
        r"""Reconstruction of edge weights,
        :func:`pyg_vgae.losses.weighted_recon_loss`: each edge's weight
        (``pos_edge_weight``) and weight 0 for the negatives (sampled when
        ``None``), under a ``"bce"``, ``"poisson"`` or ``"gaussian"``
        likelihood."""
        check_edge_index(pos_edge_index, z.size(0), "pos_edge_index")
        if neg_edge_index is None:
            neg_edge_index = self.sample_negatives(pos_edge_index, z.size(0))
        return sum(losses.weighted_recon_loss(
            decoder(block, pos_edge_index, sigmoid=False), pos_edge_weight,
            decoder(block, neg_edge_index, sigmoid=False), likelihood)
            for decoder, block in member_decoders(self.decoder, z))

    def full_recon_loss(self, z: Tensor, edge_index: Tensor,
                        add_self_loops: bool = True) -> Tensor:
        r"""The original code's weighted cross-entropy over all :math:`N^2`
        pairs, :func:`pyg_vgae.losses.dense_recon_loss`.

        The target is the adjacency of ``edge_index``, with self-loops as in
        the original (``adj + I``); ``pos_weight`` and ``norm`` count the
        edges without them, also as in the original. With the inner-product
        decoder it is computed from the edge list, a block of rows at a time
        (:func:`pyg_vgae.losses.inner_product_recon_loss`): time
        :math:`O(N^2 d)`, no :math:`N \times N` matrix. Other decoders
        build the dense matrix, and raise :class:`MemoryError` when it
        exceeds ``max_dense_bytes``.
        """
        from .full_loss import full_recon_loss
        return sum(full_recon_loss(decoder, block, edge_index,
                                   add_self_loops, self.max_dense_bytes)
                   for decoder, block in member_decoders(self.decoder, z))

    def recommend(self, z: Tensor, nodes: Tensor, k: int = 10,
                  exclude_edge_index: Tensor | None = None,
                  chunk_size: int = 1024) -> tuple[Tensor, Tensor]:
        """The ``k`` most likely new neighbours of each node in ``nodes``,
        best first, as ``(logits, neighbours)``
        (:func:`pyg_vgae.recommend.recommend`)."""
        from .recommend import recommend
        return recommend(self, z, nodes, k, exclude_edge_index, chunk_size)

    @torch.no_grad()
    def test(self, z: Tensor, pos_edge_index: Tensor,
             neg_edge_index: Tensor) -> tuple[float, float]:
        """AUC and AP of positive against negative pairs, as in PyG
        (:func:`pyg_vgae.metrics.auc_ap`). Ranks by logits, so that pairs
        whose probabilities both round to 1.0 in float32 are still told
        apart."""
        from .metrics import auc_ap

        check_edge_index(pos_edge_index, z.size(0), "pos_edge_index")
        check_edge_index(neg_edge_index, z.size(0), "neg_edge_index")
        if pos_edge_index.size(1) == 0 or neg_edge_index.size(1) == 0:
            raise ValueError(f"test() needs positive and negative pairs, got "
                             f"{pos_edge_index.size(1)} and "
                             f"{neg_edge_index.size(1)}")
        pos = self.decoder(z, pos_edge_index, sigmoid=False)
        neg = self.decoder(z, neg_edge_index, sigmoid=False)
        return auc_ap(pos, neg)


def _halves_of(mu: Tensor, logstd: Tensor) -> Tensor | None:
    """The tensor whose last dimension's two halves ``mu`` and ``logstd``
    are (as :class:`~pyg_vgae.encoders.GNNEncoder` returns them), else
    ``None``."""
    base = mu._base
    if base is None or logstd._base is not base or mu.dim() != base.dim() \
            or base.size(-1) != 2 * mu.size(-1) \
            or not base.is_floating_point():
        return None
    first, second = base.chunk(2, dim=-1)
    same = all(view.shape == half.shape and view.stride() == half.stride()
               and view.data_ptr() == half.data_ptr()
               for view, half in ((mu, first), (logstd, second)))
    return base if same else None


class _Variational:
    """Encoding through :math:`\\mu`, :math:`\\log\\sigma`, the KL term and
    generation, shared by :class:`VGAE` and :class:`ARGVA`."""

    # These shadow the properties of PyG's ARGVA.
    __mu__: Tensor | None = None
    _logstd: Tensor | None = None  # unclamped, when the clamp is not made
    _clamped_logstd: Tensor | None = None
    _kl: Tensor | None = None  # the KL term sample_with_kl made

    @property
    def __logstd__(self) -> Tensor | None:
        """:math:`\\log\\sigma` of the last :meth:`encode`, clamped at
        ``MAX_LOGSTD`` (on first use where the fused sample did not need
        it)."""
        if self._clamped_logstd is None and self._logstd is not None:
            self._clamped_logstd = self._logstd.clamp(max=MAX_LOGSTD)
        return self._clamped_logstd

    @__logstd__.setter
    def __logstd__(self, value: Tensor | None) -> None:
        self._logstd, self._clamped_logstd, self._kl = None, value, None

    def reparametrize(self, mu: Tensor, logstd: Tensor) -> Tensor:
        r""":math:`z = \mu + \sigma \epsilon` while training, :math:`\mu` in
        evaluation."""
        if self.training:
            return mu + torch.randn_like(logstd) * torch.exp(logstd)
        return mu

    def encode(self, *args: Any, **kwargs: Any) -> Tensor:
        """Run the encoder, keep ``mu`` and ``logstd``, return a sample."""
        _check_input_dtype(self, args)
        out = self.encoder(*args, **kwargs)
        if not (isinstance(out, (tuple, list)) and len(out) == 2):
            raise TypeError(
                f"{type(self).__name__} needs an encoder that returns "
                f"(mu, logstd), got {type(out).__name__}; use "
                f"VariationalGCNEncoder or GNNEncoder(..., variational=True)")
        mu, logstd = out
        self.__mu__ = mu
        stacked = _halves_of(mu, logstd)
        if self.training and stacked is not None and \
                type(self).reparametrize is _Variational.reparametrize:
            z, kl = losses.sample_with_kl(stacked, MAX_LOGSTD)
            self._logstd, self._clamped_logstd, self._kl = logstd, None, kl
            return z
        self.__logstd__ = logstd.clamp(max=MAX_LOGSTD)
        return self.reparametrize(self.__mu__, self.__logstd__)

    def kl_loss(self, mu: Tensor | None = None,
                logstd: Tensor | None = None) -> Tensor:
        r"""KL divergence from the prior, averaged over nodes,
        :func:`pyg_vgae.losses.kl_divergence`; of the last :meth:`encode`
        unless ``mu`` and ``logstd`` are given."""
        if mu is None and self.__mu__ is None:
            raise ValueError("kl_loss() needs mu and logstd: call encode() "
                             "first or pass them")
        if mu is None and logstd is None and self._kl is not None:
            return self._kl
        mu = self.__mu__ if mu is None else mu
        logstd = self.__logstd__ if logstd is None else logstd.clamp(
            max=MAX_LOGSTD)
        return losses.kl_divergence(mu, logstd)

    @torch.no_grad()
    def generate(self, num_nodes: int, latent_channels: int | None = None,
                 pair_budget: int = 1 << 22,
                 generator: torch.Generator | None = None,
                 max_bytes: int = 2 << 30) -> Tensor:
        r"""Sample a graph from the generative model.

        Draws :math:`z_i \sim \mathcal{N}(0, I)` and each pair :math:`i < j`
        as an edge with probability :math:`\sigma(\mathrm{dec}(z_i, z_j))`.
        Pairs are decoded ``pair_budget`` at a time, so working memory stays
        bounded however large ``num_nodes`` is (time grows as :math:`N^2`).
        The output is bounded by ``max_bytes``: a graph whose embeddings or
        sampled edges would exceed it is refused with a ``ValueError``
        (before any work where the size is known up front).

        Returns:
            An undirected ``edge_index`` (both directions).
        """
        latent_channels = self._generation_width(num_nodes, latent_channels,
                                                 pair_budget, max_bytes)
        device = next(self.parameters(), torch.empty(0)).device
        z = torch.randn(num_nodes, latent_channels, generator=generator,
                        device=device)
        max_edges = max_bytes // (2 * 2 * 8)  # both directions, int64 pairs
        found, count = [], 0
        for rows, cols in _pair_blocks(num_nodes, pair_budget, device):
            pairs = torch.stack([rows, cols])
            prob = self.decoder(z, pairs, sigmoid=True)
            keep = torch.rand(prob.shape, generator=generator,
                              device=device) < prob
            found.append(pairs[:, keep])
            count += found[-1].size(1)
            if count > max_edges:
                raise ValueError(
                    f"the sampled graph passed {max_edges} edges, more than "
                    f"max_bytes={max_bytes} holds; generate fewer nodes or "
                    f"raise max_bytes")
        edge_index = torch.cat(found, dim=1)
        return to_undirected(edge_index, num_nodes=num_nodes)

    def _generation_width(self, num_nodes: int, latent_channels: int | None,
                          pair_budget: int, max_bytes: int) -> int:
        """Check :meth:`generate`'s arguments; the latent width."""
        if isinstance(num_nodes, bool) or not isinstance(num_nodes, int) \
                or num_nodes < 1:
            raise ValueError(f"num_nodes must be a positive integer, got "
                             f"{num_nodes!r}")
        if not (isinstance(pair_budget, int) and pair_budget >= 1):
            raise ValueError(f"pair_budget must be a positive integer, got "
                             f"{pair_budget!r}")
        if latent_channels is None:
            latent_channels = getattr(self.encoder, "out_channels", None)
        if latent_channels is None:
            raise ValueError("cannot tell the latent width from the encoder; "
                             "pass latent_channels")
        if num_nodes * latent_channels * 4 > max_bytes:
            raise ValueError(f"{num_nodes} nodes need "
                             f"{num_nodes * latent_channels * 4 / 2**30:.1f} "
                             f"GiB of embeddings, over max_bytes={max_bytes}; "
                             f"generate fewer nodes or raise max_bytes")
        return latent_channels


def _pair_blocks(num_nodes: int, pair_budget: int, device):
    """The pairs ``i < j`` as ``(rows, cols)`` blocks of at most about
    ``pair_budget`` pairs: whole rows when they fit, else row pieces."""
    width = min(num_nodes, pair_budget)
    rows_per_block = max(1, pair_budget // num_nodes)
    for start in range(0, num_nodes, rows_per_block):
        rows = torch.arange(start, min(start + rows_per_block, num_nodes),
                            device=device)
        for col_start in range(start + 1, num_nodes, width):
            cols = torch.arange(col_start, min(col_start + width, num_nodes),
                                device=device)
            row, col = torch.meshgrid(rows, cols, indexing="ij")
            upper = col > row
            if bool(upper.any()):
                yield row[upper], col[upper]


class VGAE(_Variational, GAE, pyg_nn.VGAE):
    r"""The Variational Graph Auto-Encoder of `Kipf and Welling, 2016
    <https://arxiv.org/abs/1611.07308>`_, a drop-in for
    :class:`torch_geometric.nn.VGAE`.

    .. math::
        q(z_i \mid X, A) = \mathcal{N}(\mu_i, \mathrm{diag}(\sigma_i^2)),
        \qquad
        \mathcal{L} = \mathbb{E}_q[\log p(A \mid Z)]
        - \beta\, \mathrm{KL}(q(Z \mid X, A) \,\|\, \mathcal{N}(0, I))

    The weight :math:`\beta` belongs to the training loop
    (:class:`pyg_vgae.Trainer`'s ``kl_weight``; the original code used
    :math:`1/N`). Takes the same options as :class:`GAE`.
    """


class ARGA(GAE, pyg_nn.ARGA):
    r"""The Adversarially Regularized Graph Auto-Encoder of `Pan et al.,
    2018 <https://arxiv.org/abs/1802.04407>`_, a drop-in for
    :class:`torch_geometric.nn.ARGA`.

    A discriminator :math:`D` learns to tell prior samples
    :math:`z' \sim \mathcal{N}(0, I)` from embeddings; the encoder learns to
    fool it, which regularises :math:`Z` towards the prior:

    .. math::
        \min_{\mathrm{enc}} \max_D\;
        \mathbb{E}_{z'}[\log \sigma(D(z'))]
        + \mathbb{E}_{z}[\log(1 - \sigma(D(z)))]

    Args:
        encoder: The encoder module.
        discriminator: A module returning logits (not probabilities).
        decoder: As in :class:`GAE`; further options as in :class:`GAE`.
    """

    def __init__(self, encoder: Module, discriminator: Module,
                 decoder: Module | None = None, **options: Any):
        GAE.__init__(self, encoder, decoder, **options)
        self.discriminator = discriminator
        pyg_nn.inits.reset(self.discriminator)
        latent = getattr(encoder, "out_channels", None)
        width = _input_width(discriminator)
        if latent is not None and width is not None and latent != width:
            raise ValueError(f"the discriminator takes {width} features but "
                             f"the encoder's latent width is {latent}; build "
                             f"it with in_channels={latent}")

    def _check_width(self, z: Tensor) -> None:
        width = _input_width(self.discriminator)
        if width is not None and z.dim() == 2 and z.size(1) != width:
            raise ValueError(f"embeddings have {z.size(1)} columns but the "
                             f"discriminator takes {width}")

    def reg_loss(self, z: Tensor) -> Tensor:
        """The encoder's adversarial loss,
        :func:`pyg_vgae.losses.generator_loss`."""
        self._check_width(z)
        return losses.generator_loss(self.discriminator(z))

    def discriminator_loss(self, z: Tensor) -> Tensor:
        """The discriminator's loss on prior samples against ``z`` (detached),
        :func:`pyg_vgae.losses.discriminator_loss`."""
        self._check_width(z)
        real = self.discriminator(torch.randn_like(z))
        fake = self.discriminator(z.detach())
        return losses.discriminator_loss(real, fake)


class ARGVA(_Variational, ARGA, pyg_nn.ARGVA):
    r"""The Adversarially Regularized Variational Graph Auto-Encoder of
    `Pan et al., 2018 <https://arxiv.org/abs/1802.04407>`_, a drop-in for
    :class:`torch_geometric.nn.ARGVA`: :class:`ARGA` with the variational
    encoder and KL term of :class:`VGAE`.

    As PyG's, it keeps a :class:`VGAE` over the same encoder and decoder as
    ``self.VGAE`` (the same parameters, listed once by ``parameters()``),
    so its ``state_dict`` loads into PyG's ARGVA and back; a state dict
    without the ``VGAE.`` keys (saved by pyg_vgae 0.1) loads too.
    """

    def __init__(self, encoder: Module, discriminator: Module,
                 decoder: Module | None = None, **options: Any):
        ARGA.__init__(self, encoder, discriminator, decoder, **options)
        self.VGAE = VGAE(self.encoder, self.decoder)
        self._register_load_state_dict_pre_hook(_fill_vgae_copy)


def _input_width(module: Module) -> int | None:
    """The input width of a discriminator whose first layer is a
    ``Linear`` (not lazy), else ``None``."""
    if not isinstance(module, Module):
        return None
    for layer in module.modules():
        if isinstance(layer, torch.nn.Linear):
            width = layer.in_features
        elif isinstance(layer, pyg_nn.Linear):
            width = layer.in_channels
        else:
            continue
        return width if width > 0 else None
    return None


def _check_input_dtype(model: Module, args: tuple) -> None:
    """Features of another floating dtype than the weights fail deep in
    torch; name the fix instead."""
    x = args[0] if args else None
    if not (isinstance(x, Tensor) and x.is_floating_point()):
        return
    # One parameter stands for all (model.to() converts them together); it
    # is looked up once, not every step: walking the modules took 15-30 us.
    weight = model.__dict__.get("_dtype_probe")
    if weight is None or isinstance(
            weight, torch.nn.parameter.UninitializedParameter):
        weight = next((p for p in model.parameters() if not isinstance(
            p, torch.nn.parameter.UninitializedParameter)), None)
        model.__dict__["_dtype_probe"] = weight
    if weight is not None and x.dtype != weight.dtype:
        raise TypeError(f"node features are {x.dtype} but the model's "
                        f"weights are {weight.dtype}; convert one: "
                        f"x.to({weight.dtype}) or model.to({x.dtype})")


def _fill_vgae_copy(state_dict: dict, prefix: str, *args: Any) -> None:
    """Add the ``VGAE.`` keys (copies of the encoder's and decoder's) to a
    state dict saved without them."""
    if any(key.startswith(prefix + "VGAE.") for key in state_dict):
        return
    for key in [k for k in state_dict if k.startswith(
            (prefix + "encoder.", prefix + "decoder."))]:
        state_dict[prefix + "VGAE." + key[len(prefix):]] = state_dict[key]
