"""The runtime self-check: a crash in the child is one line and exit 4; a pass is cached per build."""

import json
import subprocess
import sys

import pytest

from assistant.errors import ModelError
from assistant.llm import runtime_check


@pytest.fixture
def fake_runtime(tmp_path, monkeypatch):
    """A fake model file and a fake runtime library, and a child command the test chooses."""
    model = tmp_path / "models" / "model.gguf"
    model.parent.mkdir()
    model.write_bytes(b"GGUF" + b"\0" * 64)
    lib = tmp_path / "libllama.so"
    lib.write_bytes(b"\x7fELF build-1")
    monkeypatch.setattr(runtime_check, "runtime_libraries", lambda: [lib])
    monkeypatch.setattr(runtime_check, "_verified", set())
    calls = []

    def use(code: str) -> None:
        def command(path):
            calls.append(path)
            return [sys.executable, "-c", code]

        monkeypatch.setattr(runtime_check, "probe_command", command)

    return model, lib, calls, use


def test_child_killed_by_sigill_is_one_line_naming_cause_and_fix(fake_runtime):
    model, _, _, use = fake_runtime
    use("import os, signal; os.kill(os.getpid(), signal.SIGILL)")
    with pytest.raises(ModelError) as info:
        runtime_check.verify_runtime(model)
    message = str(info.value)
    assert "SIGILL" in message and "illegal instruction" in message
    assert "make setup" in message
    assert "\n" not in message
    assert info.value.exit_code == 4
    assert not (model.parent / runtime_check.CACHE_NAME).exists()  # a crash is never cached as a pass


def test_other_signals_are_named(fake_runtime):
    model, _, _, use = fake_runtime
    use("import os, signal; os.kill(os.getpid(), signal.SIGSEGV)")
    with pytest.raises(ModelError, match="SIGSEGV"):
        runtime_check.verify_runtime(model)


def test_a_failing_child_reports_its_last_line(fake_runtime):
    model, _, _, use = fake_runtime
    use(
        "import sys; e = sys.stderr; print('noise', file=e); print('bad magic in model', file=e); sys.exit(3)"
    )
    with pytest.raises(ModelError, match="exit 3.*bad magic in model"):
        runtime_check.verify_runtime(model)


def test_a_pass_is_cached_per_build_and_model(fake_runtime, monkeypatch):
    model, lib, calls, use = fake_runtime
    use("pass")
    assert runtime_check.verify_runtime(model) is True
    cache = json.loads((model.parent / runtime_check.CACHE_NAME).read_text())
    assert list(cache.values())[0]["ok"] is True
    # A new process (empty in-memory set) reads the cache: no second child.
    monkeypatch.setattr(runtime_check, "_verified", set())
    assert runtime_check.verify_runtime(model) is False
    assert len(calls) == 1
    # A rebuilt runtime is checked again.
    lib.write_bytes(b"\x7fELF build-2")
    assert runtime_check.verify_runtime(model) is True
    assert len(calls) == 2
    # So is a replaced model file, and --recheck forces it.
    model.write_bytes(b"GGUF" + b"\1" * 80)
    assert runtime_check.verify_runtime(model) is True
    assert runtime_check.verify_runtime(model, force=True) is True
    assert len(calls) == 4


def test_hint_follows_the_recorded_build():
    assert "make setup" in runtime_check.rebuild_hint("-DGGML_NATIVE=ON")
    assert "make setup" in runtime_check.rebuild_hint(None)
    assert "LLAMA_BUILD=generic" in runtime_check.rebuild_hint("-DGGML_NATIVE=OFF -DGGML_AVX2=ON")


def test_probe_prompt_is_long():
    # Roughly 4 characters per token: far above the several hundred tokens the check needs.
    assert len(runtime_check.probe_prompt()) > 4 * runtime_check.PROBE_MIN_PROMPT_TOKENS


def test_prepare_exits_4_with_one_line_when_the_runtime_crashes(fake_runtime, tmp_path, monkeypatch, capsys):
    model, _, _, use = fake_runtime
    use("import os, signal; os.kill(os.getpid(), signal.SIGILL)")
    monkeypatch.setattr("assistant.llm.model_file.ensure_model", lambda cache_dir, on_progress=None: model)
    monkeypatch.setenv("FACTCHECK_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(sys, "argv", ["factcheck", "prepare"])
    from assistant import cli

    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == 4
    lines = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert len(lines) == 1
    assert lines[0].startswith("error:") and "SIGILL" in lines[0] and "make setup" in lines[0]


def test_child_entry_point_rejects_bad_usage():
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.llm.runtime_check"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "usage" in proc.stderr
