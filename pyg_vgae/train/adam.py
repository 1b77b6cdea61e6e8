"""Adam's update without :class:`torch.optim.Optimizer`'s per-call wrapper.

``Optimizer.step`` wraps every update in a profiler range, a dispatch of
step hooks and a dynamo guard, and collects its state lists again;
``zero_grad`` opens a profiler range of its own. On a Cora training step
(six parameters, 3-4 ms) the two wrappers cost 0.14-0.17 ms (CPU time of
20-step blocks alternated in one process, median of 60 pairs, 1 thread).
For a plain :class:`torch.optim.Adam` without hooks whose parameters all
have their state (after the first step), :func:`adam_step` calls
:func:`torch.optim.adam.adam`, the function ``Adam.step`` itself calls,
with the same arguments; any other optimizer, and Adam before its state
exists, goes through ``optimizer.step()``.
"""
from __future__ import annotations

import torch
from torch.optim import optimizer as optim_module
from torch.optim.adam import adam


def zero_grad(optimizer: torch.optim.Optimizer) -> None:
    """``optimizer.zero_grad()`` (gradients set to ``None``)."""
    if type(optimizer) is not torch.optim.Adam:
        optimizer.zero_grad()
        return
    for group in optimizer.param_groups:
        for param in group["params"]:
            param.grad = None


def adam_step(optimizer: torch.optim.Optimizer) -> None:
    """``optimizer.step()``, directly through :func:`torch.optim.adam.adam`
    where that is the same update."""
    calls = _direct_calls(optimizer)
    if calls is None:
        optimizer.step()
        return
    with torch.no_grad():  # as Adam.step: the update is no graph
        for args, kwargs in calls:
            adam(*args, **kwargs)


def _has_hooks(optimizer: torch.optim.Optimizer) -> bool:
    """Step hooks of the optimizer or global ones (a torch without these
    attributes counts as having them), or a ``step`` wrapped on the
    instance (as LR schedulers wrap it)."""
    hook_dicts = (getattr(optimizer, "_optimizer_step_pre_hooks", None),
                  getattr(optimizer, "_optimizer_step_post_hooks", None),
                  getattr(optim_module, "_global_optimizer_pre_hooks", None),
                  getattr(optim_module, "_global_optimizer_post_hooks", None))
    return any(hooks is None or len(hooks) > 0 for hooks in hook_dicts) \
        or "step" in vars(optimizer)


def _direct_calls(optimizer: torch.optim.Optimizer) -> list | None:
    """The arguments of :func:`~torch.optim.adam.adam` per parameter
    group, or ``None`` where ``optimizer.step()`` must run."""
    if type(optimizer) is not torch.optim.Adam or _has_hooks(optimizer):
        return None
    calls = []
    for group in optimizer.param_groups:
        params = [p for p in group["params"] if p.grad is not None]
        states = [optimizer.state.get(p) for p in params]
        if group["capturable"] or group["differentiable"] or any(
                not state or p.grad.is_sparse or torch.is_complex(p)
                for p, state in zip(params, states)):
            return None
        if not params:
            continue
        beta1, beta2 = group["betas"]
        args = (params, [p.grad for p in params],
                [state["exp_avg"] for state in states],
                [state["exp_avg_sq"] for state in states],
                [state["max_exp_avg_sq"] for state in states]
                if group["amsgrad"] else [],
                [state["step"] for state in states])
        kwargs = dict(
            amsgrad=group["amsgrad"], has_complex=False, beta1=beta1,
            beta2=beta2, lr=group["lr"], weight_decay=group["weight_decay"],
            eps=group["eps"], maximize=group["maximize"],
            foreach=group["foreach"], capturable=False, differentiable=False,
            fused=group["fused"],
            grad_scale=getattr(optimizer, "grad_scale", None),
            found_inf=getattr(optimizer, "found_inf", None),
            decoupled_weight_decay=group["decoupled_weight_decay"])
        calls.append((args, kwargs))
    return calls
