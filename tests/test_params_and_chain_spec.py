from __future__ import annotations

import pytest

from host.chain import instantiate
from host.chain_spec import parse_chain
from plugin_specs import ChainError, Parameter, ParameterError, PluginError


def test_parameter_coercion_and_ranges():
    p = Parameter("cutoff", "float", 100.0, 10.0, 1000.0, unit="Hz")
    assert p.coerce("80") == 80.0 and p.coerce(80) == 80.0
    with pytest.raises(ParameterError, match=r"parameter 'cutoff': value 5.0 is below the minimum 10.0 Hz"):
        p.coerce(5)
    with pytest.raises(ParameterError, match=r"expected float, got 'abc'"):
        p.coerce("abc")
    with pytest.raises(ParameterError, match="not finite"):
        p.coerce("nan")
    assert Parameter("on", "bool").coerce("yes") is True
    with pytest.raises(ParameterError, match="expected int"):
        Parameter("n", "int").coerce(1.5)
    with pytest.raises(ParameterError, match="not one of a, b"):
        Parameter("m", "str", choices=("a", "b")).coerce("c")


def test_inline_chain_parsing():
    steps = parse_chain('HighpassFilter cutoff_frequency_hz=80 | Compressor threshold_db=-18|Reverb room_size=0.3')
    assert [s.ref for s in steps] == ["HighpassFilter", "Compressor", "Reverb"]
    assert steps[1].params == {"threshold_db": "-18"}
    quoted = parse_chain('Convolution impulse_response_filename="my room.wav"')
    assert quoted[0].params["impulse_response_filename"] == "my room.wav"
    for bad, msg in [("", "empty"), ("Gain ||", "empty step"), ("Gain 3", "expected name=value"),
                     ("Gain a=1 a=2", "given twice"), ('Gain x="1', "No closing quotation")]:
        with pytest.raises(ChainError, match=msg):
            parse_chain(bad)


def test_toml_chain_file(tmp_path, host):
    f = tmp_path / "chain.toml"
    f.write_text('[[step]]\nplugin = "HighpassFilter"\ncutoff_frequency_hz = 80\n\n'
                 '[[step]]\nplugin = "Reverb"\nroom_size = 0.3\n')
    steps = parse_chain(str(f))
    assert [(s.ref, s.params) for s in steps] == [("HighpassFilter", {"cutoff_frequency_hz": 80}),
                                                   ("Reverb", {"room_size": 0.3})]
    assert len(instantiate(host, steps)) == 2
    f.write_text('[[step]]\nplugin = "Reverb"\nroom_size = "big"\n')
    with pytest.raises(ParameterError, match=r"step 1: Reverb: parameter 'room_size': expected float, got 'big'"):
        instantiate(host, parse_chain(str(f)))
    f.write_text("[[step]\n")
    with pytest.raises(ChainError, match="invalid TOML"):
        parse_chain(str(f))
    with pytest.raises(ChainError, match="not found"):
        parse_chain(str(tmp_path / "missing.toml"))


def test_parameters_checked_before_audio(host):
    with pytest.raises(PluginError, match=r"chain step 2: unknown plugin 'Reverbb'"):
        instantiate(host, parse_chain("Gain | Reverbb"))
    with pytest.raises(PluginError, match="did you mean 'Reverb'"):
        instantiate(host, parse_chain("reverb"))
    with pytest.raises(ParameterError, match=r"unknown parameter 'size' \(known: damping"):
        instantiate(host, parse_chain("Reverb size=1"))
    with pytest.raises(ParameterError, match="above the maximum 1.0"):
        instantiate(host, parse_chain("Reverb room_size=2"))
    with pytest.raises(ParameterError, match="not one of"):
        instantiate(host, parse_chain("LadderFilter mode=LPF48"))
    with pytest.raises(ParameterError, match="'impulse_response_filename' is required"):
        instantiate(host, parse_chain("Convolution"))
