"""One batch job, run in whichever process the pool picked: render a file or a session, and describe it.

Payloads are plain JSON-ready dicts so that a local worker, a Ray task and the manifest all see the same
thing; the returned entry is what the manifest stores for the job.
"""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from .manifest import input_record, plugin_version, sha256_file
from .registry import PluginHost


def process_payload(source: Path, output: Path, chain_text: str, options: Any) -> dict[str, Any]:
    return {"kind": "process", "input": str(source), "output": str(output), "chain": chain_text,
            "options": asdict(options)}


def session_payload(session: Path, out_dir: Path, device: str, overwrite: bool) -> dict[str, Any]:
    return {"kind": "session", "session": str(session), "out_dir": str(out_dir), "device": device,
            "overwrite": overwrite}


def group_payload(items: list[dict[str, Any]], keys: list[str]) -> dict[str, Any]:
    """Several process jobs rendered in lockstep (``--batch``): one worker, batchable steps batched."""
    return {"kind": "group", "items": [{**item, "key": key} for item, key in zip(items, keys)]}


def run_job(host: PluginHost, payload: dict[str, Any], root: Path, overwrite: bool = False,
            progress: Any = None) -> dict[str, Any]:
    """Run ``payload``; outputs are listed relative to ``root`` (the manifest's folder). ``progress`` (seconds
    rendered) is reported by sessions, when the job runs in the calling process."""
    if payload["kind"] == "process":
        return _process(host, payload, root, overwrite)
    if payload["kind"] == "group":
        return _group(host, payload, root, overwrite)
    return _session(host, payload, root, overwrite, progress)


def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path.resolve())


def _process(host: PluginHost, payload: dict[str, Any], root: Path, overwrite: bool) -> dict[str, Any]:
    from .chain_spec import parse_chain
    from .render import RenderOptions, render_file

    options = RenderOptions(**{**payload["options"], "overwrite": payload["options"]["overwrite"] or overwrite})
    specs = parse_chain(payload["chain"])
    source, output = Path(payload["input"]), Path(payload["output"])
    result = render_file(host, specs, source, output, options, measure=True)
    return _process_entry(host, specs, source, output, result, root)


def _process_entry(host: PluginHost, specs: Any, source: Path, output: Path, result: Any,
                   root: Path) -> dict[str, Any]:
    return {
        "status": "done",
        "inputs": [input_record(source)],
        "chain": [{"plugin": s.ref, "version": plugin_version(host, s.ref),
                   "params": {k: str(v) for k, v in s.params.items()}} for s in specs],
        "outputs": [{"path": _rel(output, root), "sha256": sha256_file(output), "seconds": round(result.seconds, 6),
                     "sample_rate": result.sample_rate, **result.loudness.to_dict()}],
        "analysis": result.analysis,
        "audio_seconds": result.seconds,
    }


def _group(host: PluginHost, payload: dict[str, Any], root: Path, overwrite: bool) -> dict[str, Any]:
    """Each item's entry or error. If the lockstep render fails, every item runs alone, so one bad file
    costs only itself."""
    from plugin_specs import SynthHostError

    from .chain_spec import parse_chain
    from .lockstep import render_group
    from .render import RenderOptions

    items = payload["items"]
    first = items[0]
    options = RenderOptions(**{**first["options"], "overwrite": first["options"]["overwrite"] or overwrite})
    specs = parse_chain(first["chain"])
    pairs = [(Path(i["input"]), Path(i["output"])) for i in items]
    try:
        results = render_group(host, specs, pairs, options)
        return {"status": "group", "items": [{"key": i["key"], "entry": _process_entry(host, specs, src, out, r, root)}
                                             for i, (src, out), r in zip(items, pairs, results)]}
    except Exception:
        pass
    out = []
    for item in items:
        try:
            out.append({"key": item["key"], "entry": _process(host, item, root, overwrite)})
        except SynthHostError as exc:
            out.append({"key": item["key"], "error": str(exc), "retryable": False})
        except Exception as exc:
            out.append({"key": item["key"], "error": f"{type(exc).__name__}: {exc}", "retryable": True})
    return {"status": "group", "items": out}


def _session(host: PluginHost, payload: dict[str, Any], root: Path, overwrite: bool,
             progress: Any = None) -> dict[str, Any]:
    from .session_render import render_session
    from .session_spec import load_session

    spec = load_session(payload["session"])
    result = render_session(host, spec, Path(payload["out_dir"]), payload["device"],
                            payload["overwrite"] or overwrite, progress=progress)
    return {
        "status": "done",
        "inputs": [input_record(p) for p in dict.fromkeys(result.inputs)],
        "seed": spec.seed,
        "plugins": result.plugins,
        "outputs": [{"kind": o.kind, "name": o.name, "path": _rel(o.path, root), "sha256": sha256_file(o.path),
                     "seconds": round(o.seconds, 6), "sample_rate": o.sample_rate, **o.loudness.to_dict()}
                    for o in result.outputs],
        "normalisation": result.normalisation,
        "analysis": result.analysis,
        "audio_seconds": result.seconds,
    }


def expected_outputs(payload: dict[str, Any]) -> list[Path]:
    """The files a job will write, known before it runs: for cleaning up after a killed worker."""
    if payload["kind"] == "process":
        return [Path(payload["output"])]
    if payload["kind"] == "group":
        return [Path(i["output"]) for i in payload["items"]]
    from .session_spec import load_session

    spec = load_session(payload["session"])
    out = Path(payload["out_dir"])
    paths = [out / spec.output.mix]
    if spec.output.stems:
        paths += [out / "stems" / f"{t.name}.{spec.output.format}" for t in spec.audible()]
    return paths


def remove_partials(paths: list[Path]) -> None:
    """Delete the hidden temporary files a killed job may have left beside its outputs."""
    for p in paths:
        if p.parent.is_dir():
            for tmp in p.parent.glob(f".{p.name}.*"):
                tmp.unlink(missing_ok=True)
