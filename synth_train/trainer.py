"""The training loop every neural plugin shares: seeds, periodic validation, resumable checkpoints
(safetensors + JSON, never pickles), a JSONL log, and export of the best weights with a model card."""

from __future__ import annotations

import datetime
import json
import platform
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np


@dataclass
class TrainConfig:
    steps: int = 3000
    batch_size: int = 16
    lr: float = 2e-3
    weight_decay: float = 1e-4
    seed: int = 0
    val_every: int = 250
    checkpoint_every: int = 250
    max_minutes: float | None = None
    threads: int = 2
    extra: dict[str, Any] = field(default_factory=dict)


class Task(Protocol):
    """What a model contributes to the shared loop."""

    name: str

    def build_model(self) -> Any: ...
    def train_batch(self, rng: np.random.Generator, batch_size: int) -> Any: ...
    def loss(self, model: Any, batch: Any, device: str) -> Any: ...
    def validate(self, model: Any, device: str) -> dict[str, Any]: ...
    def card(self) -> dict[str, Any]: ...


def parameter_count(model: Any) -> int:
    return int(sum(p.numel() for p in model.parameters()))


class Trainer:
    def __init__(self, task: Task, config: TrainConfig, run_dir: Path, device: str = "cpu",
                 log: Callable[[str], None] = print) -> None:
        import torch

        self.task, self.config, self.run_dir, self.device, self.say = task, config, run_dir, device, log
        torch.manual_seed(config.seed)
        torch.set_num_threads(config.threads)
        configure = getattr(task, "configure", None)  # architecture overrides from the config's "extra"
        if configure:
            configure(config.extra)
        elif config.extra:
            raise ValueError(f"{task.name} takes no extra settings, got {sorted(config.extra)}")
        self.model = task.build_model().to(device)
        own = getattr(task, "optimizer", None)  # a GAN brings its own (two groups, GAN betas)
        self.optimizer = (own(self.model, config.lr) if own else
                          torch.optim.AdamW(self.model.parameters(), lr=config.lr, weight_decay=config.weight_decay))
        self.cycle_momentum = own is None
        self.schedule = self._one_cycle(config.steps)
        self.rng = np.random.default_rng(config.seed)
        self.step = 0
        self.elapsed = 0.0
        self.best: dict[str, Any] | None = None
        self.last_validated = -1
        self.init: dict[str, Any] | None = None
        run_dir.mkdir(parents=True, exist_ok=True)

    def _one_cycle(self, total: int) -> Any:
        """Warm up over 10% of the run (at least 3 steps), then anneal."""
        import torch

        return torch.optim.lr_scheduler.OneCycleLR(self.optimizer, max_lr=[g.get("max_lr", g["lr"]) for g in self.optimizer.param_groups],
                                                   total_steps=total, pct_start=min(0.5, max(0.1, 3 / total)),
                                                   cycle_momentum=self.cycle_momentum)

    # -- checkpoints ---------------------------------------------------------------

    @property
    def checkpoint(self) -> Path:
        return self.run_dir / "checkpoint.safetensors"

    def save_checkpoint(self) -> None:
        import torch
        from safetensors.torch import save_file

        tensors = {f"model.{k}": v.detach().cpu().contiguous() for k, v in self.model.state_dict().items()}
        optim = self.optimizer.state_dict()
        for index, state in optim["state"].items():
            for key, value in state.items():
                tensors[f"optim.{index}.{key}"] = torch.as_tensor(value).detach().cpu().contiguous()
        tensors["rng.torch"] = torch.get_rng_state()
        meta = {"step": self.step, "elapsed": self.elapsed, "best": self.best, "config": asdict(self.config),
                "param_groups": optim["param_groups"], "schedule": self.schedule.state_dict(),
                "numpy_rng": self.rng.bit_generator.state, "init": self.init}
        tmp = self.checkpoint.with_suffix(".part")
        save_file(tensors, str(tmp))
        (self.run_dir / "checkpoint.json.part").write_text(json.dumps(meta, default=_jsonable))
        tmp.replace(self.checkpoint)
        (self.run_dir / "checkpoint.json.part").replace(self.run_dir / "checkpoint.json")

    def resume(self) -> bool:
        import torch
        from safetensors.torch import load_file

        if not self.checkpoint.exists():
            return False
        tensors = load_file(str(self.checkpoint))
        meta = json.loads((self.run_dir / "checkpoint.json").read_text())
        self.model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
        state: dict[int, dict[str, Any]] = {}
        for key, value in tensors.items():
            if key.startswith("optim."):
                _, index, name = key.split(".", 2)
                state.setdefault(int(index), {})[name] = value.to(self.device)
        self.optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
        if meta["config"]["steps"] == self.config.steps:
            self.schedule.load_state_dict(meta["schedule"])
        else:  # a longer (or shorter) run: the one-cycle schedule is stretched to the new total
            import torch

            self.schedule = self._one_cycle(max(self.config.steps, meta["step"] + 1))
            with warnings.catch_warnings():  # stepping a schedule without an optimizer step is intended here
                warnings.simplefilter("ignore")
                for _ in range(meta["step"]):  # fast-forward the fresh schedule to where training stopped
                    self.schedule.step()
        torch.set_rng_state(tensors["rng.torch"])
        self.rng.bit_generator.state = meta["numpy_rng"]
        self.step, self.elapsed, self.best = meta["step"], meta["elapsed"], meta["best"]
        self.init = meta.get("init")
        self.say(f"resumed {self.task.name} at step {self.step}")
        return True

    def initialise(self, checkpoint: Path) -> None:
        """Start from another run's checkpoint or best weights (all of them, a GAN's critics too) with a fresh
        optimizer and schedule: fine-tuning on a changed loss, recorded in the card as ``init``."""
        from safetensors.torch import load_file

        tensors = load_file(str(checkpoint))
        if any(k.startswith("model.") for k in tensors):  # a checkpoint; else a run's best.safetensors
            tensors = {k[6:]: v for k, v in tensors.items() if k.startswith("model.")}
        tensors = _placed(self.model, tensors)
        result = self.model.load_state_dict(tensors, strict=False)
        if result.unexpected_keys:
            raise ValueError(f"{checkpoint}: weights the model has no place for: {', '.join(result.unexpected_keys[:4])}")
        meta = checkpoint.with_suffix(".json")
        self.init = {"checkpoint": str(checkpoint),
                     "step": json.loads(meta.read_text()).get("step") if meta.exists() else None}
        fresh = sorted({k.rsplit(".", 1)[0] for k in result.missing_keys})
        if fresh:  # modules added since that run start from their own initialisation
            self.init["new_modules"] = fresh
        self.say(f"initialised {self.task.name} from {checkpoint} (step {self.init['step']})"
                 + (f"; new: {', '.join(fresh)}" if fresh else ""))

    # -- the loop ------------------------------------------------------------------

    def log(self, record: dict[str, Any]) -> None:
        with open(self.run_dir / "log.jsonl", "a") as f:
            f.write(json.dumps(record, default=_jsonable) + "\n")

    def validate(self) -> dict[str, Any]:
        self.last_validated = self.step
        self.model.eval()
        metrics = self.task.validate(self.model, self.device)
        self.model.train()
        self.log({"step": self.step, "elapsed": round(self.elapsed, 1), "val": metrics})
        self.say(f"step {self.step}: " + ", ".join(f"{k} {v:.4f}" for k, v in metrics.items()
                                                       if isinstance(v, float)))
        if self.best is None or metrics["score"] > self.best["score"]:
            self.best = {"step": self.step, **{k: v for k, v in metrics.items() if isinstance(v, (int, float))}}
            from synth_plugins.weights import save_model

            save_model(self.model, self.run_dir / "best.safetensors", {"step": self.step, "metrics": metrics})
        return metrics

    def run(self, stop_at: int | None = None) -> dict[str, Any]:
        """Train to ``config.steps``; ``stop_at`` halts early as a crash would (the schedule is unchanged)."""
        import torch

        cfg = self.config
        if self.step == 0:  # the global torch RNG (dropout) may have moved since __init__
            torch.manual_seed(cfg.seed + 1)
        self.model.train()
        started = time.perf_counter() - self.elapsed
        window: list[float] = []
        while self.step < cfg.steps:
            if stop_at is not None and self.step >= stop_at:
                self.save_checkpoint()
                return {"steps": self.step, "wall_seconds": round(self.elapsed, 1), "best": self.best}
            if cfg.max_minutes is not None and self.elapsed > cfg.max_minutes * 60:
                self.say(f"time limit reached at step {self.step}")
                break
            batch = self.task.train_batch(self.rng, cfg.batch_size)
            loss = self.task.loss(self.model, batch, self.device)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            import torch

            torch.nn.utils.clip_grad_norm_(self.model.parameters(), 5.0)
            self.optimizer.step()
            self.schedule.step()
            self.step += 1
            self.elapsed = time.perf_counter() - started
            window.append(loss.item())
            if self.step % 50 == 0:
                self.log({"step": self.step, "elapsed": round(self.elapsed, 1), "loss": float(np.mean(window)),
                          "lr": self.schedule.get_last_lr()[0]})
                window = []
            if self.step % cfg.val_every == 0 or self.step == cfg.steps:
                self.validate()
            if self.step % cfg.checkpoint_every == 0:
                self.save_checkpoint()
        if self.last_validated != self.step:
            self.validate()
        self.save_checkpoint()
        return {"steps": self.step, "wall_seconds": round(self.elapsed, 1), "best": self.best}


def export(trainer: Trainer, target: Path, summary: dict[str, Any], command: str,
           which: str = "best") -> dict[str, Any]:
    """Copy the best (or the last) weights into the package with a model card."""
    from safetensors.torch import load_file

    from synth_plugins.weights import load_state, save_model

    model = trainer.task.build_model()
    if which == "last":
        tensors = load_file(str(trainer.checkpoint))
        model.load_state_dict({k[6:]: v for k, v in tensors.items() if k.startswith("model.")})
    else:
        model.load_state_dict(load_state(trainer.task.name, trainer.run_dir / "best.safetensors"))
    model = getattr(trainer.task, "exported", lambda m: m)(model)  # e.g. a GAN ships its generator only
    card = {
        "model": trainer.task.name,
        **trainer.task.card(),
        "training": {"steps": summary["steps"], "best_step": summary["best"]["step"], "shipped": which,
                     "wall_seconds": summary["wall_seconds"], "device": trainer.device,
                     "threads": trainer.config.threads, "machine": f"{platform.machine()}, {platform.node()}",
                     "config": asdict(trainer.config), "command": command,
                     **({"init": trainer.init} if trainer.init else {})},
        "parameters": parameter_count(model),
        "weights_bytes": None,
        "validation": {k: v for k, v in summary["best"].items()},
        "date": datetime.date.today().isoformat(),
    }
    save_model(model, target, card)
    card["weights_bytes"] = target.stat().st_size
    target.with_suffix(".json").write_text(json.dumps(card, indent=2, sort_keys=True) + "\n")
    return card


def _jsonable(value: Any) -> Any:
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (np.floating,)):
        return float(value)
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def _placed(model: Any, tensors: dict[str, Any]) -> dict[str, Any]:
    """``tensors`` keyed for ``model``: shipped weights hold only the exported part (a GAN's generator), so
    names that fit none of the model's own but all of one child's get that child's prefix."""
    own = model.state_dict()
    if any(k in own for k in tensors):
        return tensors
    for name, _ in model.named_children():
        if all(f"{name}.{k}" in own for k in tensors):
            return {f"{name}.{k}": v for k, v in tensors.items()}
    return tensors
