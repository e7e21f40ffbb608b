from pathlib import Path

import pytest
from cluster_assistant.assistant.settings import Settings, load_settings
from pydantic import ValidationError


def test_env_prefix_and_types(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ASSISTANT_K", "7")
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(tmp_path))
    s = load_settings()
    assert s.k == 7 and s.data_dir == tmp_path


def test_toml_file_and_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('k = 4\nfetch_k = 30\nllm = "extractive"\n')
    s = load_settings(cfg)
    assert (s.k, s.fetch_k) == (4, 30)
    monkeypatch.setenv("ASSISTANT_K", "6")
    assert load_settings(cfg).k == 6  # env beats the file
    assert load_settings(cfg, k=3).k == 3  # arguments beat env


def test_invalid_values_fail_loudly(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValidationError):
        load_settings(llm="gpt-9000")
    with pytest.raises(ValidationError):
        load_settings(chunk_tokens=100, chunk_overlap=100)
    with pytest.raises(ValidationError):
        load_settings(unknown_setting=1)
    with pytest.raises(FileNotFoundError):
        load_settings(Path("/nonexistent/cluster-assistant.toml"))


def test_every_field_is_described() -> None:
    missing = [name for name, f in Settings.model_fields.items() if not f.description]
    assert missing == []


def test_a_removed_setting_says_what_replaced_it(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text("rrf_k = 60\n")
    with pytest.raises(ValidationError, match="rrf_k was removed.*dense_weight"):
        load_settings(cfg)
    with pytest.raises(ValidationError):
        load_settings(dense_weight=1.5)
    assert load_settings(dense_weight=0.5).dense_weight == 0.5
