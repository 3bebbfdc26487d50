"""The shared training loop: seeded, resumable to the same weights, exported with a model card."""

from __future__ import annotations

import json

import numpy as np
import pytest

from synth_train.trainer import TrainConfig, Trainer, export


def tiny(steps, seed=0):
    return TrainConfig(steps=steps, batch_size=2, lr=1e-3, seed=seed, val_every=5, checkpoint_every=5, threads=1)


@pytest.fixture(scope="module")
def task(small_corpus):
    from synth_train.tasks.instrument import InstrumentTask

    return InstrumentTask(small_corpus)


def weights_of(trainer):
    return {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}


def test_resumed_run_equals_uninterrupted_run(task, tmp_path):
    straight = Trainer(task, tiny(10), tmp_path / "a", log=lambda m: None)
    straight.run()
    first = Trainer(task, tiny(10), tmp_path / "b", log=lambda m: None)
    first.run(stop_at=5)  # as if killed after step 5
    resumed = Trainer(task, tiny(10), tmp_path / "b", log=lambda m: None)
    assert resumed.resume() and resumed.step == 5
    resumed.run()
    a, b = weights_of(straight), weights_of(resumed)
    assert all(np.allclose(a[k].numpy(), b[k].numpy(), atol=1e-6) for k in a)


def test_checkpoints_and_logs_are_not_pickles(task, tmp_path):
    trainer = Trainer(task, tiny(5), tmp_path, log=lambda m: None)
    trainer.run()
    assert (tmp_path / "checkpoint.safetensors").read_bytes()[:8] != b"\x80\x04\x95"  # no pickle header
    from safetensors.torch import load_file

    tensors = load_file(str(tmp_path / "checkpoint.safetensors"))
    assert any(k.startswith("optim.") for k in tensors) and "rng.torch" in tensors
    log = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert any("val" in r for r in log) and log[-1]["step"] == 5


def test_seeds_make_runs_repeatable_and_different(task, tmp_path):
    runs = [Trainer(task, tiny(3, seed), tmp_path / f"r{i}", log=lambda m: None) for i, seed in enumerate((1, 1, 2))]
    for r in runs:
        r.run()
    w = [weights_of(r) for r in runs]
    key = next(iter(w[0]))
    assert np.array_equal(w[0][key].numpy(), w[1][key].numpy())
    assert not np.array_equal(w[0][key].numpy(), w[2][key].numpy())


def test_export_writes_weights_and_card(task, tmp_path):
    trainer = Trainer(task, tiny(5), tmp_path / "run", log=lambda m: None)
    summary = trainer.run()
    card = export(trainer, tmp_path / "out" / "model.safetensors", summary, "synth-host train test")
    on_disk = json.loads((tmp_path / "out" / "model.json").read_text())
    assert on_disk == card
    assert card["parameters"] == sum(p.numel() for p in trainer.model.parameters())
    assert card["training"]["steps"] == 5 and card["weights_bytes"] > 0 and card["data"]["clips"] > 0


def test_resume_can_extend_a_finished_run(task, tmp_path):
    Trainer(task, tiny(4), tmp_path, log=lambda m: None).run()
    longer = Trainer(task, tiny(8), tmp_path, log=lambda m: None)
    assert longer.resume() and longer.step == 4
    assert longer.run()["steps"] == 8


def test_init_fine_tunes_from_another_runs_weights_with_a_fresh_schedule(task, tmp_path):
    base = Trainer(task, tiny(4), tmp_path / "base", log=lambda m: None)
    base.run()
    tuned = Trainer(task, tiny(3, seed=5), tmp_path / "tuned", log=lambda m: None)
    tuned.initialise(tmp_path / "base" / "checkpoint.safetensors")
    start = weights_of(tuned)
    assert all(np.array_equal(start[k].numpy(), v.numpy()) for k, v in weights_of(base).items())
    assert tuned.step == 0 and tuned.init == {"checkpoint": str(tmp_path / "base" / "checkpoint.safetensors"), "step": 4}
    summary = tuned.run()
    card = export(tuned, tmp_path / "out" / "model.safetensors", summary, "synth-host train test --init")
    assert card["training"]["steps"] == 3 and card["training"]["init"]["step"] == 4
    again = Trainer(task, tiny(3, seed=5), tmp_path / "tuned", log=lambda m: None)
    assert again.resume() and again.init == tuned.init  # a resumed fine-tune still knows where it began


def test_a_gan_fine_tune_starts_from_shipped_generator_weights_and_can_warm_its_critics_alone(small_corpus, tmp_path):
    """Shipped drum-gan weights hold only the generator: init places them, and critics_only trains the
    critics against that fixed generator before a full fine-tune."""
    from safetensors.torch import save_file

    from synth_train.tasks.drum_gan import DrumGANTask

    gan = DrumGANTask(small_corpus)
    if any(len(gan.real[s][0]) == 0 for s in ("train", "val")):
        pytest.skip("the small corpus has no drum hits in a split")
    donor = gan.build_model()
    shipped = tmp_path / "drum-gan.safetensors"
    save_file({k: v.contiguous() for k, v in donor.generator.state_dict().items()}, str(shipped))
    settings = TrainConfig(steps=3, batch_size=2, lr=1e-3, seed=0, val_every=5, checkpoint_every=5, threads=1,
                           extra={"critics_only": True, "frozen_norm": True})
    warm = Trainer(gan, settings, tmp_path / "critics", log=lambda m: None)
    warm.initialise(shipped)
    assert warm.init["new_modules"] and all(m.startswith(("wave.", "spectral.")) for m in warm.init["new_modules"])
    critics_before = {k: v.clone() for k, v in warm.model.state_dict().items() if not k.startswith("generator.")}
    warm.run()
    after = warm.model.state_dict()
    for k, v in donor.generator.state_dict().items():
        assert np.array_equal(after[f"generator.{k}"].numpy(), v.numpy()), k  # the generator did not move
    assert any(not np.array_equal(after[k].numpy(), v.numpy()) for k, v in critics_before.items())


def test_anchor_fitting_moves_only_the_named_anchors_and_keeps_them_on_export(small_corpus, tmp_path):
    import torch
    from safetensors.torch import save_file

    from synth_train.tasks.timbre_vae import TimbreVAETask

    vae = TimbreVAETask(small_corpus)
    trained = {k: v.contiguous() for k, v in vae.build_model().state_dict().items()}
    trained["anchors"] = 0.1 * torch.randn(trained["anchors"].shape, generator=torch.Generator().manual_seed(0))
    save_file(trained, str(tmp_path / "vae.safetensors"))
    settings = TrainConfig(steps=3, batch_size=2, lr=1e-2, seed=0, val_every=5, checkpoint_every=5, threads=1,
                           extra={"fit_anchors": True})
    fit = Trainer(vae, settings, tmp_path / "fit", log=lambda m: None)
    fit.initialise(tmp_path / "vae.safetensors")
    assert [n for n, p in fit.model.named_parameters() if p.requires_grad] == ["anchors"]
    fit.run()
    after = fit.model.state_dict()
    assert [k for k, v in trained.items() if not torch.equal(after[k], v)] == ["anchors"]
    shipped = vae.exported(fit.model)
    assert torch.equal(shipped.anchors, after["anchors"]) and "anchors" in dict(shipped.named_buffers())
    assert "the anchors alone" in vae.card()["loss"]
