"""Checking parameters and their state before a step changes anything, cheaply.

``step()`` checks every group before it touches any state, so that a step that raises changes
nothing. The full check of a parameter (complex dtype, what its group's ``impl`` can run, every
state tensor's shape, dtype and device, the step counter) costs microseconds per parameter in
Python; for models with hundreds of tensors that is a visible share of a step. So a parameter
whose state passed is recorded (its storage pointer, its group's options, the ids of its state
tensors) and re-checked only when one of these changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

from seminal.adam.validation import accumulation_dtype, check_state_tensor, check_step_value

__all__ = ["CheckedStateMixin", "is_counter"]

ParamEntry = tuple[Tensor, Tensor, dict[str, Any]]


class CheckedStateMixin:
    """``_validated_entries``: a group's (param, grad, state) triples, every one checked."""

    algorithm_name: str
    state: Any

    #: Moments a loaded state may lack, rebuilt by :meth:`_complete_state` (e.g. AMSGrad switched on).
    _derivable: tuple[str, ...] = ()

    def _validated_entries(self, group_index: int, group: dict[str, Any], only: Sequence[Tensor] | None = None) -> list[ParamEntry]:
        """Parameters of a group that have a gradient, with their state; raises before any change.

        A parameter whose state passed the full check keeps a record of what was checked (its
        storage pointer, the group's options, the identity of every state tensor). While all of
        that is unchanged the next step skips the full check: this keeps the per-parameter Python
        cost of a step near torch's own. Replacing a state tensor, loading a state_dict, moving or
        converting the parameter (``module.to``), or changing amsgrad/averaging/impl re-checks.
        ``only``: check just these parameters of the group (the step-in-backward hooks).
        """
        self._check_group(group)
        moments = self._active_moments(group)
        keys = ("step", *moments, "param_avg") if group["averaging"] is not None else ("step", *moments)
        signature = (id(group), group["impl"], keys)
        # Under torch.compile the full check is traced every time (no pointers, no cache).
        verified: dict[int, tuple[Any, ...]] = {} if torch.compiler.is_compiling() else self._verified_states()
        if only is None and len(verified) > 1:
            fast = self._all_verified(group["params"], verified, keys, signature)
            if fast is not None:
                return fast
        entries: list[ParamEntry] = []
        params = list(enumerate(group["params"])) if only is None else [(self._index_in_group(group, p), p) for p in only]
        for index, param in params:
            grad = param.grad
            if grad is None:
                continue  # absent gradient: the parameter and its state are left untouched
            if grad.is_sparse:
                raise TypeError(
                    f"{self.algorithm_name} does not support sparse gradients (parameter {index} of group {group_index} "
                    "has one); use dense gradients or torch.optim.SparseAdam"
                )
            state = self.state.get(param)  # .get: a failed step must not even add an empty entry
            record = verified.get(id(param)) if state else None
            if not (
                record is not None
                and record[0] == param.data_ptr()
                and record[1] == signature
                and record[2] == tuple(map(id, map(state.get, keys)))  # type: ignore[union-attr]
            ):
                self._check_entry(group, group_index, index, param, state, moments, keys, signature)
            entries.append((param, grad, state))  # type: ignore[arg-type]
        return entries

    def _index_in_group(self, group: dict[str, Any], param: Tensor) -> int:
        """The position of ``param`` in ``group["params"]`` without a scan per call: each
        step-in-backward hook asks for its own parameter, and a scan would make a backward pass
        quadratic in the number of tensors. The map is rebuilt when the group's list changes."""
        params = group["params"]
        cache = self.__dict__.setdefault("_param_index", {})
        for attempt in range(2):
            cached = cache.get(id(group))
            if attempt or cached is None or cached[0] is not params or cached[1] != len(params):
                cached = cache[id(group)] = (params, len(params), {id(p): i for i, p in enumerate(params)})
            index = cached[2].get(id(param))
            if index is not None and params[index] is param:
                return index
        raise ValueError(f"{self.algorithm_name}: the hooked parameter is no longer in its group "
                         "(the group's parameter list was changed after step_in_backward())")

    def _all_verified(self, params: list[Tensor], verified: dict[int, tuple[Any, ...]], keys: tuple[str, ...],
                      signature: tuple[Any, ...]) -> list[ParamEntry] | None:
        """The entries of a group whose every parameter has a dense gradient and a record that
        still holds, else None (the caller then checks parameter by parameter).

        The same test as the loop in :meth:`_validated_entries`, column by column: at hundreds of
        tensors per group the list comprehensions halve the Python cost of a step.
        """
        grads = [param.grad for param in params]
        # (`None in grads` would call Tensor.__eq__ on every gradient.)
        if any(grad is None or grad.is_sparse for grad in grads):
            return None
        records = [verified.get(id(param)) for param in params]
        if None in records:
            return None
        states = [self.state.get(param) for param in params]
        if (
            any(record[1] != signature for record in records)  # type: ignore[index]
            or [param.data_ptr() for param in params] != [record[0] for record in records]  # type: ignore[index]
            or [tuple(map(id, map(state.get, keys))) for state in states] != [record[2] for record in records]  # type: ignore[index, union-attr]
        ):
            return None
        return list(zip(params, grads, states))  # type: ignore[arg-type]

    def _verified_states(self) -> dict[int, tuple[Any, ...]]:
        """id(param) -> (data_ptr, group signature, ids of state tensors, fused takes it, contiguous,
        tensors, native one-pass kernel takes it).

        A record holds its state tensors so that their ids cannot be reused by new tensors. The
        records are dropped whenever ``self.state`` is replaced (``load_state_dict`` does that), so
        they never keep a discarded state alive past the next step.
        """
        records = self.__dict__.get("_verified")
        if records is None or records.get(-1) is not self.state:  # none yet (or unpickled), or new state
            records = self.__dict__["_verified"] = {-1: self.state}  # -1: never an id
        return records

    def _check_entry(self, group: dict[str, Any], group_index: int, index: int, param: Tensor, state: dict[str, Any] | None,
                     moments: tuple[str, ...], keys: tuple[str, ...], signature: tuple[Any, ...]) -> None:
        """The full check of one parameter and its state; records it when it passed and is complete."""
        if torch.is_complex(param):
            raise TypeError(
                f"{self.algorithm_name} does not support complex parameters (parameter {index} of group "
                f"{group_index} is {param.dtype}); optimise torch.view_as_real(param) instead"
            )
        where = f"parameter {index} of group {group_index}"
        self._check_impl(group, param, where)
        verified = self._verified_states()
        verified.pop(id(param), None)
        if not state:
            return
        self._check_state(group, param, state, moments, group["impl"] == "reference", where)
        complete = all(key in state for key in keys) and is_counter(state["step"])
        if complete and not torch.compiler.is_compiling():
            # Keyed by id(param); the record holds the state tensors, so their ids cannot be reused.
            tensors = tuple(state[key] for key in keys)
            takes = self._fused_takes(param, list(tensors[1 : len(moments) + 1]))
            native_takes = self._native_takes(param, list(tensors[1:]))
            verified[id(param)] = (
                param.data_ptr(), signature, tuple(map(id, tensors)), takes, param.is_contiguous(), tensors, native_takes
            )

    def _native_takes(self, param: Tensor, state_tensors: list[Tensor]) -> bool:
        """Whether the native one-pass kernel takes this parameter and state (a contiguous
        gradient of the parameter's dtype provided): dense, one layout, float32/float64 on CPU."""
        from seminal.adam import native

        return param.is_contiguous() and native.takes(param, param, state_tensors)

    def _fused_takes(self, param: Tensor, moments: list[Tensor]) -> bool:
        """Whether the fused kernel (if any) takes this parameter with these moments."""
        return False

    def _check_state(self, group: dict[str, Any], param: Tensor, state: dict[str, Any], moments: tuple[str, ...],
                     reference: bool, where: str) -> None:
        name = self.algorithm_name
        if "step" not in state:
            raise ValueError(f"{name} state of {where} has no 'step' (a state_dict from another optimizer?)")
        if not is_counter(state["step"]):
            check_step_value(name, where, state["step"])  # converted on this step
        dtype = torch.float64 if reference else param.dtype
        for key in moments:
            if key in state:
                check_state_tensor(name, where, key, state[key], param, dtype)
            elif key not in self._derivable:
                raise ValueError(f"{name} state of {where} has no {key!r} (a state_dict from another optimizer?)")
        if group["averaging"] is not None and "param_avg" in state:
            avg_dtype = torch.float64 if reference else accumulation_dtype(param)
            check_state_tensor(name, where, "param_avg", state["param_avg"], param, avg_dtype)



def is_counter(step: Any) -> bool:
    """Whether ``step`` is seminal's own counter: a 0-d float64 CPU tensor."""
    return isinstance(step, Tensor) and step.dtype == torch.float64 and step.device.type == "cpu" and step.dim() == 0
