r"""Loss functions of graph auto-encoders, as pure functions of logits.

Every function here takes *logits* (scores before the sigmoid) and uses
:func:`torch.nn.functional.logsigmoid` or
:func:`torch.nn.functional.binary_cross_entropy_with_logits`, so each term is
exact and its gradient finite for logits of any size.  PyG's
``-log(sigmoid(x) + 1e-15)`` caps a term at :math:`-\log 10^{-15} = 34.54` and
its gradient vanishes there (PyG issue 1185).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

#: Default memory budget of anything that builds an :math:`N \times N` matrix.
DEFAULT_MAX_DENSE_BYTES = 2 * 1024**3


def sampled_recon_loss(pos_logits: Tensor, neg_logits: Tensor) -> Tensor:
    r"""Sampled reconstruction loss of PyG's :class:`~torch_geometric.nn.GAE`.

    .. math::
        \mathcal{L} = -\frac{1}{|E^+|}\sum_{(i,j) \in E^+} \log\sigma(s_{ij})
        - \frac{1}{|E^-|}\sum_{(i,j) \in E^-} \log(1 - \sigma(s_{ij}))

    with :math:`\log(1 - \sigma(s)) = \log\sigma(-s)`.

    Args:
        pos_logits: Scores :math:`s_{ij}` of the positive (observed) edges.
        neg_logits: Scores of the negative (sampled) pairs.
    """
    pos_loss = -F.logsigmoid(pos_logits).mean()
    neg_loss = -F.logsigmoid(-neg_logits).mean()
    return pos_loss + neg_loss


def joined_recon_loss(logits: Tensor, num_pos: int) -> Tensor:
    r""":func:`sampled_recon_loss` of ``logits[:num_pos]`` (the positives)
    and ``logits[num_pos:]`` (the negatives), given as one 1-D tensor, in
    one autograd node:

    .. math::
        \mathcal{L} = \sum_k w_k \log\sigma(c_k s_k), \qquad
        \frac{\partial \mathcal{L}}{\partial s_k}
        = w_k c_k \, \sigma(-c_k s_k),

    with :math:`c_k = 1, w_k = -1/|E^+|` for a positive and
    :math:`c_k = -1, w_k = -1/|E^-|` for a negative. Written plainly, the
    two means are a dozen small kernels forward and back; this is three
    forward and four back (equal up to rounding: the sums are taken in
    another order)."""
    num_neg = logits.numel() - num_pos
    if logits.dim() != 1 or num_pos < 1 or num_neg < 1:
        raise ValueError(f"joined_recon_loss needs 1-D logits of at least "
                         f"one positive and one negative, got shape "
                         f"{tuple(logits.shape)} with num_pos={num_pos}")
    if logits.dtype not in (torch.float32, torch.float64):
        return sampled_recon_loss(logits[:num_pos], logits[num_pos:])
    return _JoinedRecon.apply(logits, num_pos)


#: (num_pos, num_neg, dtype, device) -> the vectors c, w and w c of
#: :func:`joined_recon_loss`; few sizes recur (one per batch shape).
_loss_vectors_cache: dict = {}


def _loss_vectors(num_pos: int, num_neg: int, like: Tensor
                  ) -> tuple[Tensor, Tensor, Tensor]:
    key = (num_pos, num_neg, like.dtype, like.device)
    vectors = _loss_vectors_cache.get(key)
    if vectors is None:
        sign = like.new_ones(num_pos + num_neg)
        sign[num_pos:] = -1
        weight = like.new_full((num_pos + num_neg, ), -1 / num_pos)
        weight[num_pos:] = -1 / num_neg
        vectors = (sign, weight, sign * weight)
        if len(_loss_vectors_cache) >= 8:
            _loss_vectors_cache.clear()
        _loss_vectors_cache[key] = vectors
    return vectors


class _JoinedRecon(torch.autograd.Function):
    @staticmethod
    def forward(ctx, logits: Tensor, num_pos: int) -> Tensor:
        sign, weight, _ = _loss_vectors(num_pos, logits.numel() - num_pos,
                                        logits)
        signed = logits * sign
        ctx.save_for_backward(signed)
        ctx.num_pos = num_pos
        return torch.dot(F.logsigmoid(signed), weight)

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor):
        signed, = ctx.saved_tensors
        coef = _loss_vectors(ctx.num_pos, signed.numel() - ctx.num_pos,
                             signed)[2]
        return signed.neg().sigmoid_().mul_(coef).mul_(grad), None


def dense_recon_weights(num_nodes: int, num_edges: int) -> tuple[float, float]:
    r"""The ``pos_weight`` and ``norm`` of the original VGAE code.

    .. math::
        w_+ = \frac{N^2 - E}{E}, \qquad
        \mathrm{norm} = \frac{N^2}{2 (N^2 - E)}

    where :math:`E` counts the entries of the training adjacency *without*
    self-loops (each undirected edge twice), as the original code does even
    though its target then adds the identity.
    """
    if num_edges <= 0:
        raise ValueError("the target graph has no edges: the weighted "
                         "reconstruction loss needs at least one")
    total = num_nodes * num_nodes
    if num_edges >= total:
        raise ValueError("the target adjacency is full: there are no "
                         "negative pairs to weight")
    pos_weight = (total - num_edges) / num_edges
    norm = total / (2.0 * (total - num_edges))
    return pos_weight, norm


def dense_recon_loss(logits: Tensor, target: Tensor,
                     pos_weight: float | None = None,
                     norm: float | None = None) -> Tensor:
    r"""Full-adjacency weighted cross-entropy of the original VGAE code.

    .. math::
        \mathcal{L} = \mathrm{norm} \cdot \frac{1}{N^2} \sum_{i,j}
        \Big[ -w_+ A_{ij} \log\sigma(s_{ij})
        - (1 - A_{ij}) \log(1 - \sigma(s_{ij})) \Big]

    Args:
        logits: Dense :math:`N \times N` scores :math:`s = ZZ^\top`.
        target: Dense :math:`N \times N` 0/1 target adjacency
            (the original adds self-loops to it).
        pos_weight, norm: Override the weights of
            :func:`dense_recon_weights`, computed from ``target`` by default.
    """
    if logits.shape != target.shape or logits.dim() != 2:
        raise ValueError(f"logits and target must be the same N x N shape, "
                         f"got {tuple(logits.shape)} and "
                         f"{tuple(target.shape)}")
    if pos_weight is None or norm is None:
        weights = dense_recon_weights(logits.size(0), int(target.sum()))
        pos_weight = weights[0] if pos_weight is None else pos_weight
        norm = weights[1] if norm is None else norm
    pos_weight_t = torch.tensor(pos_weight, dtype=logits.dtype,
                                device=logits.device)
    loss = F.binary_cross_entropy_with_logits(logits, target.to(logits.dtype),
                                              pos_weight=pos_weight_t)
    return norm * loss


class _SoftplusOfAllInnerProducts(torch.autograd.Function):
    r""":math:`\sum_{i,j} \mathrm{softplus}(z_i^\top z_j)` and its gradient
    :math:`2 S Z`, :math:`S = \sigma(ZZ^\top)`, computed ``block`` rows at a
    time over the upper triangle only (the matrix is symmetric): memory
    :math:`O(\mathrm{block} \cdot N)`, never :math:`N \times N`, and half
    the pairs."""

    @staticmethod
    def forward(ctx, z: Tensor, block: int) -> Tensor:
        total = z.new_zeros(())
        grad = torch.zeros_like(z)
        for start in range(0, z.size(0), block):
            stop = min(start + block, z.size(0))
            rows, right = z[start:stop], z[start:]
            logits = rows @ right.t()  # this block of rows, diagonal onward
            width = stop - start
            values = F.softplus(logits)
            total += values[:, :width].sum() + 2 * values[:, width:].sum()
            prob = torch.sigmoid(logits)
            grad[start:stop] += 2 * (prob @ right)
            grad[stop:] += 2 * (prob[:, width:].t() @ rows)
        ctx.save_for_backward(grad)
        return total

    @staticmethod
    def backward(ctx, upstream: Tensor):
        grad, = ctx.saved_tensors
        return upstream * grad, None


def inner_product_recon_loss(z: Tensor, target_edge_index: Tensor,
                             pos_weight: float, norm: float,
                             block: int = 256) -> Tensor:
    r""":func:`dense_recon_loss` for the inner-product decoder,
    :math:`s_{ij} = z_i^\top z_j`, from the target's edge list.

    Uses :math:`-\log(1 - \sigma(s)) = \mathrm{softplus}(s)`: the loss is
    :math:`\mathrm{norm} / N^2 \cdot [\sum_{all} \mathrm{softplus}(s)
    + \sum_{edges} (w_+ \mathrm{softplus}(-s) - \mathrm{softplus}(s))]`,
    the first sum taken ``block`` rows at a time. Same value as the dense
    form, in :math:`O(\mathrm{block} \cdot N)` memory and less time.

    Args:
        z: Embeddings, :math:`N \times d`.
        target_edge_index: The target's non-zero entries, each once
            (the original's ``adj + I``: with self-loops).
        pos_weight, norm: The weights, as :func:`dense_recon_weights`.
    """
    num_nodes = z.size(0)
    pos = (z.index_select(0, target_edge_index[0])
           * z.index_select(0, target_edge_index[1])).sum(dim=1)
    total = _SoftplusOfAllInnerProducts.apply(z, block) \
        + pos_weight * F.softplus(-pos).sum() - F.softplus(pos).sum()
    return norm * total / (num_nodes * num_nodes)


def check_dense_budget(num_nodes: int, max_bytes: int | None,
                       element_size: int = 4, what: str = "this") -> None:
    """Refuse to build an ``N x N`` matrix larger than ``max_bytes``.

    Raises:
        MemoryError: naming the size it would need and how to proceed.
    """
    if max_bytes is None:
        return
    needed = num_nodes * num_nodes * element_size
    if needed > max_bytes:
        raise MemoryError(
            f"{what} needs a dense {num_nodes} x {num_nodes} matrix "
            f"({needed / 1024**3:.2f} GiB), above the budget of "
            f"{max_bytes / 1024**3:.2f} GiB; use the sampled reconstruction "
            f"loss (recon='sampled') or raise max_dense_bytes")


def kl_divergence(mu: Tensor, logstd: Tensor) -> Tensor:
    r"""KL divergence of :math:`q = \mathcal{N}(\mu, \sigma^2)` from
    :math:`\mathcal{N}(0, I)`, summed over latent dimensions and averaged
    over nodes (the same quantity as PyG's ``VGAE.kl_loss``).

    .. math::
        \mathrm{KL} = \frac{1}{N} \sum_{i=1}^N -\frac{1}{2} \sum_{k=1}^d
        \left(1 + 2 \log\sigma_{ik} - \mu_{ik}^2 - \sigma_{ik}^2\right)

    The original VGAE code multiplies this by a further :math:`1/N`; that
    factor is a weight (a :math:`\beta`-VAE coefficient), and it is the
    trainer's ``kl_weight``, not part of the divergence.
    """
    if mu.shape != logstd.shape:
        raise ValueError(f"mu and logstd must have the same shape, got "
                         f"{tuple(mu.shape)} and {tuple(logstd.shape)}")
    return _GaussianKL.apply(mu, logstd)


def _kl_terms(mu: Tensor, logstd: Tensor, std: Tensor | None = None
              ) -> tuple[Tensor, Tensor, Tensor, int]:
    """``(kl, var, terms, nodes)``: the KL term, :math:`\\sigma^2` (its
    gradient needs it), the per-entry terms (a buffer the caller may
    reuse) and the number of nodes averaged over; ``std``:
    :math:`\\sigma`, when the caller has it (one exponential fewer)."""
    var = (logstd.exp() if std is None else std).square()
    nodes = max(mu.numel() // max(mu.size(-1), 1), 1) if mu.dim() else 1
    # sum of (mu^2 + sigma^2 - 2 log sigma - 1), halved, per node
    terms = torch.addcmul(var, mu, mu).sub_(logstd, alpha=2)
    return terms.sum().sub_(mu.numel()).mul_(0.5 / nodes), var, terms, nodes


class _GaussianKL(torch.autograd.Function):
    r""":func:`kl_divergence` with its gradient written out,
    :math:`\partial/\partial\mu = \mu / N` and
    :math:`\partial/\partial\log\sigma = (\sigma^2 - 1) / N`: the
    plain expression's graph is a dozen small kernels forward and back
    (forward and backward on Cora's 2708 x 16: 0.17 ms, against 0.29 ms
    for the expression, 1 thread)."""

    @staticmethod
    def forward(ctx, mu: Tensor, logstd: Tensor) -> Tensor:
        kl, var, _, ctx.nodes = _kl_terms(mu, logstd)
        ctx.save_for_backward(mu, var)
        return kl

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad: Tensor) -> tuple[Tensor, Tensor]:
        mu, var = ctx.saved_tensors
        scale = grad / ctx.nodes
        return mu * scale, (var - 1).mul_(scale)


def sample_with_kl(stacked: Tensor, max_logstd: float
                   ) -> tuple[Tensor, Tensor]:
    r"""The reparametrised sample and the KL term of a variational
    encoder's output ``stacked`` :math:`= [\mu \,|\, \log\sigma]` (the two
    halves of its last dimension), in one autograd node:

    .. math::
        z = \mu + \epsilon \odot \sigma, \qquad
        \epsilon \sim \mathcal{N}(0, I),

    and :func:`kl_divergence` of :math:`\mu` and :math:`\log\sigma`, with
    :math:`\log\sigma` clamped at ``max_logstd`` in both. The same
    operations in the same order as ``mu + randn_like(logstd) *
    exp(logstd)`` and :func:`kl_divergence` (so the same bits and the same
    random stream), without their dozen intermediate tensors and the
    concatenation of the two halves' gradients: at 1M nodes each is a fresh
    64-128 MB whose pages the kernel must fault in (:mod:`pyg_vgae.pairs`).
    """
    return _GaussianSample.apply(stacked, max_logstd)


class _GaussianSample(torch.autograd.Function):
    @staticmethod
    def forward(ctx, stacked: Tensor, max_logstd: float):
        mu, logstd = stacked.chunk(2, dim=-1)
        clamped = logstd.clamp(max=max_logstd)
        std = clamped.exp()
        kl, var, terms, nodes = _kl_terms(mu, clamped, std)
        eps = torch.randn_like(clamped)
        z = torch.mul(eps, std, out=terms).add_(mu)
        ctx.save_for_backward(stacked, eps, std, var)
        ctx.nodes, ctx.max_logstd = nodes, max_logstd
        # Whether the clamp cut anything (rarely): on the CPU one reduction
        # spares the backward a comparison and a fill; on a GPU asking
        # would wait for the device, so the backward always masks.
        ctx.cut = stacked.device.type != "cpu" or logstd.numel() > 0 and \
            logstd.max().item() > max_logstd
        return z, kl

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, grad_z: Tensor, grad_kl: Tensor):
        stacked, eps, std, var = ctx.saved_tensors
        mu, logstd = stacked.chunk(2, dim=-1)
        scale = grad_kl / ctx.nodes
        grad = torch.empty_like(stacked)
        grad_mu, grad_logstd = grad.chunk(2, dim=-1)
        torch.mul(mu, scale, out=grad_mu).add_(grad_z)
        torch.mul(grad_z, eps, out=grad_logstd).mul_(std).add_(
            (var - 1).mul_(scale))  # var stays: the graph may be retained
        if ctx.cut:  # the clamp passes no gradient where it cut
            grad_logstd.masked_fill_(logstd > ctx.max_logstd, 0)
        return grad, None


def generator_loss(fake_logits: Tensor) -> Tensor:
    r"""Loss of the encoder in ARGA: make the discriminator call the
    embeddings real, :math:`-\frac{1}{N}\sum_i \log\sigma(D(z_i))`."""
    return -F.logsigmoid(fake_logits).mean()


def discriminator_loss(real_logits: Tensor, fake_logits: Tensor) -> Tensor:
    r"""Loss of the ARGA discriminator: prior samples are real, embeddings
    fake.

    .. math::
        -\frac{1}{N}\sum_i \log\sigma(D(z'_i))
        -\frac{1}{N}\sum_i \log(1 - \sigma(D(z_i))),
        \quad z' \sim \mathcal{N}(0, I)
    """
    return -F.logsigmoid(real_logits).mean() - F.logsigmoid(
        -fake_logits).mean()


#: Likelihoods of edge weights: name -> (loss of logits against weights,
#: the weight a logit predicts).
WEIGHT_LIKELIHOODS = ("bce", "poisson", "gaussian")


def weighted_recon_loss(pos_logits: Tensor, pos_weights: Tensor,
                        neg_logits: Tensor, likelihood: str = "bce"
                        ) -> Tensor:
    r"""Reconstruction of edge *weights*: the negative log-likelihood of
    each observed edge's weight :math:`w_{ij}` and of weight 0 for the
    negative pairs, under

    * ``"bce"`` (weights in :math:`[0, 1]`): :math:`w \sim
      \mathrm{Bernoulli}(\sigma(s))`, a soft-target cross-entropy;
    * ``"poisson"`` (counts): :math:`w \sim \mathrm{Poisson}(e^{s})`;
    * ``"gaussian"`` (reals): :math:`w \sim \mathcal{N}(s, 1)`, the
      squared error.

    Positives and negatives are averaged separately, as in
    :func:`sampled_recon_loss` (its special case for ``"bce"`` with all
    weights 1).
    """
    if likelihood not in WEIGHT_LIKELIHOODS:
        raise ValueError(f"likelihood must be one of {WEIGHT_LIKELIHOODS}, "
                         f"got '{likelihood}'")
    if pos_weights.shape != pos_logits.shape:
        raise ValueError(f"the edge weights must hold one weight per edge "
                         f"({pos_logits.numel()}), got shape "
                         f"{tuple(pos_weights.shape)}")
    zeros = torch.zeros_like(neg_logits)
    if likelihood == "bce":
        def nll(logits, target):
            return F.binary_cross_entropy_with_logits(logits, target)
    elif likelihood == "poisson":
        def nll(logits, target):
            return F.poisson_nll_loss(logits, target, log_input=True,
                                      full=False)
    else:
        def nll(logits, target):
            return F.mse_loss(logits, target)
    return nll(pos_logits, pos_weights.to(pos_logits.dtype)) + \
        nll(neg_logits, zeros)


def predicted_weight(logits: Tensor, likelihood: str = "bce") -> Tensor:
    """The expected edge weight a logit stands for under ``likelihood``
    (for ``"bce"`` the edge probability, what an unweighted model
    predicts)."""
    if likelihood == "poisson":
        return logits.exp()
    if likelihood == "gaussian":
        return logits
    return torch.sigmoid(logits)


def feature_recon_loss(out: Tensor, x: Tensor, kind: str = "bce",
                       mask: Tensor | None = None) -> Tensor:
    """Reconstruction of node features: binary cross-entropy from logits
    for binary (bag-of-words) features (``"bce"``), squared error
    otherwise (``"mse"``); over the entries where ``mask`` is true (all by
    default), so held-out entries can be scored later."""
    if kind not in ("bce", "mse"):
        raise ValueError(f"kind must be 'bce' or 'mse', got '{kind}'")
    if mask is not None:
        out, x = out[mask], x[mask]
    if kind == "bce":
        return F.binary_cross_entropy_with_logits(out, x)
    return F.mse_loss(out, x)
