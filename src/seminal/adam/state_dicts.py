"""state_dicts: load torch.optim's, refuse state that does not fit, and export for torch.optim.

* ``load_state_dict`` checks the loaded state *before* anything changes: every state tensor must
  have its parameter's shape and a real floating dtype, the step counter a whole number t >= 0.
  torch.optim casts loaded state to the parameter's dtype; state seminal keeps wider on purpose
  (θ̄ of 16-bit parameters in float32, the oracle's float64 moments) keeps its saved dtype.
* A torch.optim.Adam/Adamax state_dict loads unchanged: the options torch does not have (eps_mode,
  beta1_decay, averaging, bias_correction, impl) are taken from this optimizer's constructor.
* :meth:`StateDictMixin.to_torch_state_dict` is the documented way to hand a seminal state_dict
  to torch.optim: it drops seminal's own options and θ̄, and warns when a dropped option changes the
  algorithm (torch.optim would silently continue with its own). A plain ``state_dict()`` also
  loads into torch.optim, but torch then ignores those options without a word.
"""

from __future__ import annotations

import warnings
from itertools import chain
from typing import Any, ClassVar

import torch
from torch import Tensor

from seminal.adam.validation import accumulation_dtype, check_step_value

__all__ = ["StateDictMixin"]


class StateDictMixin:
    """load_state_dict with checks, and to_torch_state_dict."""

    algorithm_name: str
    param_groups: list[dict[str, Any]]
    defaults: dict[str, Any]
    state: Any
    #: seminal-only options and the value under which torch.optim computes the same algorithm.
    torch_equivalent: ClassVar[dict[str, Any]] = {}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # Called by load_state_dict: a torch.optim state_dict lacks our keys (eps_mode, impl, ...),
        # so take them from this optimizer's constructor arguments.
        super().__setstate__(state)  # type: ignore[misc]
        for group in self.param_groups:
            for key, value in self.defaults.items():
                group.setdefault(key, value)

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Load a seminal or torch.optim state_dict; refuse state that does not fit the parameters."""
        saved_groups = state_dict.get("param_groups", [])
        keep: list[tuple[Tensor, str, Tensor]] = []
        if len(saved_groups) == len(self.param_groups) and all(
            len(s.get("params", ())) == len(g["params"]) for s, g in zip(saved_groups, self.param_groups)
        ):  # otherwise torch.optim raises its own error below
            params = dict(zip(chain.from_iterable(s["params"] for s in saved_groups), chain.from_iterable(g["params"] for g in self.param_groups)))
            groups = {pid: saved for saved in saved_groups for pid in saved["params"]}
            for pid, saved_state in state_dict.get("state", {}).items():
                if pid in params:
                    keep += self._check_loaded(params[pid], groups[pid], saved_state, f"parameter id {pid!r}")
        super().load_state_dict(state_dict)  # type: ignore[misc]
        for param, key, value in keep:
            self.state[param][key] = value.to(device=param.device)

    def _check_loaded(self, param: Tensor, saved_group: dict[str, Any], saved_state: dict[str, Any], where: str) -> list[tuple[Tensor, str, Tensor]]:
        """Refuse ill-fitting state; return the state to keep in its saved (wider) dtype."""
        name = self.algorithm_name
        reference = saved_group.get("impl", self.defaults.get("impl")) == "reference"
        keep = []
        for key, value in saved_state.items():
            if key == "step":
                check_step_value(name, where, value)
                continue
            if not isinstance(value, Tensor):
                raise TypeError(f"{name} state_dict: state {key!r} of {where} is {type(value).__name__} (expected a tensor)")
            if value.shape != param.shape:
                raise ValueError(
                    f"{name} state_dict: state {key!r} of {where} has shape {tuple(value.shape)}, but its parameter has "
                    f"shape {tuple(param.shape)}: this state_dict does not belong to these parameters"
                )
            if not value.is_floating_point():
                raise ValueError(f"{name} state_dict: state {key!r} of {where} has dtype {value.dtype} (expected a real floating dtype)")
            if reference:
                wanted = torch.float64
            else:
                wanted = accumulation_dtype(param) if key == "param_avg" else param.dtype
            if value.dtype == wanted and wanted != param.dtype:
                keep.append((param, key, value))
        return keep

    def to_torch_state_dict(self) -> dict[str, Any]:
        """This optimizer's state_dict for torch.optim.Adam/Adamax, warning about what torch cannot do.

        Drops the seminal-only group options (eps_mode, beta1_decay, averaging, bias_correction,
        impl) and the θ̄ state; the state tensors are copies, not shared with this optimizer. Issues a UserWarning naming every option whose value torch.optim
        cannot reproduce, because torch would continue with a different algorithm.
        """
        state_dict = self.state_dict()  # type: ignore[attr-defined]
        changed = []
        for index, group in enumerate(state_dict["param_groups"]):
            for key in ("eps_mode", "beta1_decay", "averaging", "bias_correction", "impl"):
                if key not in group:
                    continue
                value = group.pop(key)
                if key in self.torch_equivalent and value != self.torch_equivalent[key]:
                    changed.append(f"{key}={value!r} (group {index})")
        # state_dict() shares the per-parameter dicts and tensors with self.state, and torch.optim's
        # load_state_dict keeps tensors it need not convert: copy, so the two optimizers never share m, v.
        state_dict["state"] = {
            pid: {k: v.clone() for k, v in s.items() if k != "param_avg"} for pid, s in state_dict["state"].items()
        }
        if changed:
            warnings.warn(
                f"{self.algorithm_name}.to_torch_state_dict(): torch.optim has no equivalent of {', '.join(changed)}; "
                "these are dropped and torch.optim will continue with its own update",
                UserWarning,
                stacklevel=2,
            )
        return state_dict
