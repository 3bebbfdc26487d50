"""Entry-point discovery of third-party packages, broken plugins, duplicates and filters."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from host.chain_spec import parse_chain
from host.registry import PluginHost
from host.render import render_array
from plugin_specs import PluginError

GOOD = '''
from plugin_specs import Effect, Parameter, PluginInfo, hookimpl

class Tremolo(Effect):
    info = PluginInfo(id="third-tremolo", name="Tremolo", version="1.2.3", stateful=True)
    parameters = (Parameter("depth", "float", 0.5, 0.0, 1.0),)

    def prepare(self, sample_rate, channels, block_size, device="cpu"):
        super().prepare(sample_rate, channels, block_size, device)
        self.pos = 0

    def process(self, audio):
        import numpy as np
        n = audio.shape[1]
        t = (self.pos + np.arange(n)) / self.sample_rate
        self.pos += n
        return (audio * (1 - self.params["depth"] * (0.5 + 0.5 * np.sin(2 * np.pi * 5 * t)))).astype("float32")

    def reset(self):
        self.pos = 0

@hookimpl
def register_effects(register):
    register(Tremolo)
'''


def make_dist(root: Path, package: str, module: str, source: str, version: str = "1.2.3") -> None:
    (root / f"{module}.py").write_text(textwrap.dedent(source))
    info = root / f"{package}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
    (info / "entry_points.txt").write_text(f"[synth_host]\n{module} = {module}\n")


@pytest.fixture
def site(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith(("thirdparty_", "broken_", "dupe_", "typo_"))]:
        del sys.modules[name]


def test_third_party_package_is_discovered_and_runs(site):
    make_dist(site, "thirdparty-fx", "thirdparty_fx", GOOD)
    host = PluginHost()
    record = host.records["third-tremolo"]
    assert (record.kind, record.package, record.version, record.status) == ("effect", "thirdparty-fx", "1.2.3", "ok")
    assert "register_effects" in record.hooks
    x = np.ones((2, 8820), dtype=np.float32)
    out = render_array(host, parse_chain("third-tremolo depth=1 | Gain gain_db=0"), x, 44100, block_size=100)
    assert out.min() < 0.01 and out.max() > 0.99


def test_broken_plugin_is_listed_and_host_still_works(site, monkeypatch):
    make_dist(site, "broken-fx", "broken_fx", "raise RuntimeError('no model file')\n")
    host = PluginHost()
    failed = [r for r in host.listing() if r.package == "broken-fx"]
    assert len(failed) == 1 and failed[0].status == "error: import failed: RuntimeError: no model file"
    assert "Reverb" in host.records
    monkeypatch.setenv("SYNTH_HOST_STRICT_PLUGINS", "1")
    with pytest.raises(PluginError, match="plugin package 'broken-fx'.*no model file"):
        PluginHost()


def test_duplicate_ids_name_both_packages(site):
    make_dist(site, "thirdparty-fx", "thirdparty_fx", GOOD)
    make_dist(site, "dupe-fx", "dupe_fx", GOOD.replace("Tremolo)", "Tremolo)  # again"))
    with pytest.raises(PluginError, match="duplicate plugin id 'third-tremolo': registered by package "
                                          "'(thirdparty|dupe)-fx' and by '(thirdparty|dupe)-fx'"):
        PluginHost()


def test_misspelled_hook_is_caught(site):
    make_dist(site, "typo-fx", "typo_fx", "from plugin_specs import hookimpl\n\n"
                                          "@hookimpl\ndef register_efects(register):\n    pass\n")
    host = PluginHost()
    failed = [r for r in host.failures if r.package == "typo-fx"]
    assert failed and "register_efects" in failed[0].status and "invalid hook" in failed[0].status


def test_allow_and_deny_lists(site, monkeypatch):
    make_dist(site, "thirdparty-fx", "thirdparty_fx", GOOD)
    assert "third-tremolo" not in PluginHost(deny=["thirdparty-fx"]).records
    assert "Reverb" not in PluginHost(deny=["Reverb"]).records
    only = PluginHost(allow=["thirdparty_fx"]).records
    assert list(only) == ["third-tremolo"]
    monkeypatch.setenv("SYNTH_HOST_DISABLE_PLUGINS", "third-tremolo,Gain")
    env_host = PluginHost()
    assert "third-tremolo" not in env_host.records and "Gain" not in env_host.records and "Reverb" in env_host.records


def test_plugins_command_is_fast_and_does_not_import_torch():
    code = ("import sys, time; t=time.perf_counter(); from host.cli import main; rc = main(['plugins', '--json']);"
            "assert rc == 0; assert 'torch' not in sys.modules, 'torch imported'; "
            "assert 'pedalboard' not in sys.modules, 'pedalboard imported'; print(time.perf_counter()-t, file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    listing = json.loads(proc.stdout)
    assert {"Reverb", "PitchShift", "MP3Compressor"} <= {r["id"] for r in listing}
    assert all(r["status"] == "ok" for r in listing)
    assert float(proc.stderr.strip().splitlines()[-1]) < 1.0


def test_plugin_specs_imports_nothing_heavy():
    code = "import sys, plugin_specs, plugin_specs.pedalboard_effect; print(sorted(m for m in ('torch','numpy','pedalboard') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
