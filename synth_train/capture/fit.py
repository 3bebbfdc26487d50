"""Training a capture network on a dry/wet pair, scored by ESR on held-out material.

ESR (error-to-signal ratio) is ``sum((y - y_hat)^2) / sum(y^2)``; Neural Amp Modeler calls below 0.01
great. Batches are random crops; each crop starts with a warm-up the loss ignores, so the LSTM state
or the WaveNet's receptive field is filled with real signal before it is judged.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from typing import Any, Callable

import numpy as np

from ..metrics import esr


@dataclass
class CaptureConfig:
    arch: str = "lstm"
    size: str = "lite"
    steps: int = 2000
    batch_size: int = 32
    segment: int = 4096
    warmup: int = 1024
    lr: float = 6e-3
    seed: int = 0
    threads: int = 2
    max_minutes: float = 10.0
    val_every: int = 250


def run_net(net: Any, x: np.ndarray, device: str = "cpu", block: int = 65536) -> np.ndarray:
    """Whole-signal output, streamed in blocks so memory stays bounded on long material."""
    import torch

    out, state = [], None
    with torch.inference_mode():
        for i in range(0, len(x), block):
            chunk = torch.from_numpy(np.ascontiguousarray(x[i : i + block], dtype=np.float32))[None].to(device)
            y, state = net.stream(chunk, state)
            out.append(y[0].cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0, np.float32)


def _lr_at(step: int, cfg: CaptureConfig) -> float:
    warm = max(1, cfg.steps // 20)
    if step < warm:
        return cfg.lr * (step + 1) / warm
    progress = (step - warm) / max(1, cfg.steps - warm)
    return cfg.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))))


def fit_capture(dry: np.ndarray, wet: np.ndarray, val_dry: np.ndarray, val_wet: np.ndarray, cfg: CaptureConfig,
                device: str = "cpu", log: Callable[[str], None] = print) -> tuple[Any, dict[str, Any]]:
    """Train, keep the weights with the lowest held-out ESR, and return them with the metrics."""
    import torch

    from synth_plugins.models.capture_nets import SIZES, build_capture_net

    torch.manual_seed(cfg.seed)
    torch.set_num_threads(cfg.threads)
    rng = np.random.default_rng(cfg.seed)
    net_config = dict(SIZES[cfg.arch][cfg.size])
    net = build_capture_net(cfg.arch, net_config).to(device)
    warm = cfg.warmup if cfg.arch == "lstm" else net.receptive_field - 1
    span = cfg.segment + warm
    if len(dry) < span + 1:
        raise ValueError(f"training material is {len(dry)} samples; a capture needs more than {span}")
    x_all = torch.from_numpy(np.ascontiguousarray(dry, dtype=np.float32))
    y_all = torch.from_numpy(np.ascontiguousarray(wet, dtype=np.float32))
    optimizer = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    best = (math.inf, None, -1)
    start = time.perf_counter()
    step = 0
    history = []
    for step in range(cfg.steps):
        for group in optimizer.param_groups:
            group["lr"] = _lr_at(step, cfg)
        starts = rng.integers(0, len(dry) - span, cfg.batch_size)
        idx = torch.from_numpy(starts)[:, None] + torch.arange(span)[None]
        x, y = x_all[idx].to(device), y_all[idx].to(device)
        y_hat = net(x)[:, warm:]
        target = y[:, warm:]
        loss = ((y_hat - target) ** 2).sum() / (target.pow(2).sum() + 1e-8)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 1.0)
        optimizer.step()
        minutes = (time.perf_counter() - start) / 60
        last = step == cfg.steps - 1 or minutes >= cfg.max_minutes
        if (step + 1) % cfg.val_every == 0 or last:
            net.eval()
            score = esr(val_wet, run_net(net, val_dry, device))
            net.train()
            history.append({"step": step + 1, "train_esr": round(float(loss.detach()), 6), "heldout_esr": round(score, 6)})
            log(f"step {step + 1}: train ESR {float(loss.detach()):.5f}, held-out ESR {score:.5f} ({minutes:.1f} min)")
            if score < best[0]:
                best = (score, {k: v.detach().clone() for k, v in net.state_dict().items()}, step + 1)
        if last:
            break
    net.load_state_dict(best[1])
    net.eval()
    metrics = {"heldout_esr": round(best[0], 6), "best_step": best[2], "steps_run": step + 1,
               "train_minutes": round((time.perf_counter() - start) / 60, 2), "device": device,
               "threads": cfg.threads, "parameters": int(sum(p.numel() for p in net.parameters())),
               "config": asdict(cfg), "history": history}
    return net, metrics
