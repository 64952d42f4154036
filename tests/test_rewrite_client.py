"""The OpenAI-compatible client against a real HTTP server (tests/llm_server.py):
retries with backoff on 429 and 5xx within the deadline, never past it, tokens when
the server reports them, the key from the environment."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from llm_server import LLMServer, llm_server

from digest import config
from digest.cli import cli
from digest.editorial.rewrite import Message
from digest.language_model import ChatClient, Completion, Endpoint, ModelError, endpoint

PROMPT = (
    Message("system", "Réécrivez."),
    Message("user", "Titre : Essai\n\nPhrases choisies :\n- Le port a traité 9,2 millions de conteneurs.\n"),
)


@pytest.fixture
def server() -> Iterator[LLMServer]:
    with llm_server() as s:
        yield s


def ask(server: LLMServer, seconds: float, *, timeout: float = 30.0, api_key: str | None = None) -> Completion:
    async def main() -> Completion:
        async with ChatClient(Endpoint(server.url, "m", api_key, timeout)) as client:
            return await client.complete(PROMPT, deadline=time.monotonic() + seconds)

    return asyncio.run(main())


def test_a_good_answer_with_its_tokens(server: LLMServer) -> None:
    answer = ask(server, 5)
    assert answer.text == "En bref, le port a traité 9,2 millions de conteneurs."
    assert (answer.finish_reason, answer.truncated, answer.attempts) == ("stop", False, 1)
    assert answer.prompt_tokens is not None and answer.completion_tokens == 10
    assert server.requests[0].body["messages"][1]["content"] == PROMPT[1].content
    assert "authorization" not in {k.lower() for k in server.requests[0].headers}


def test_tokens_are_none_when_the_server_reports_none(server: LLMServer) -> None:
    server.usage = False
    answer = ask(server, 5)
    assert (answer.prompt_tokens, answer.completion_tokens) == (None, None)


def test_429_is_retried_with_backoff(server: LLMServer) -> None:
    server.script = {"Essai": "429"}
    started = time.monotonic()
    answer = ask(server, 10)
    assert answer.attempts == 3 and server.calls == 3
    assert time.monotonic() - started >= 0.5 + 1.0  # 0.5 s, then 1 s (Retry-After: 0 asks for no more)


def test_500_is_retried_until_the_deadline_and_no_longer(server: LLMServer) -> None:
    server.script = {"Essai": "500"}
    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        ask(server, 2)
    assert caught.value.reason == "http_500"
    assert time.monotonic() - started < 3.0  # 2 s, and a little for a busy machine
    assert server.calls >= 2


def test_a_hanging_server_times_out_by_the_deadline(server: LLMServer) -> None:
    server.script = {"Essai": "hang"}
    started = time.monotonic()
    with pytest.raises(ModelError) as caught:
        ask(server, 1.5, timeout=30)
    assert caught.value.reason == "timeout"
    assert time.monotonic() - started < 3.0  # 1.5 s, and a little for a busy machine


def test_a_slow_answer_within_the_timeout_is_taken(server: LLMServer) -> None:
    server.script = {"Essai": "slow"}
    server.slow_seconds = 0.3
    assert ask(server, 5, timeout=2).text.startswith("En bref")


def test_a_refused_request_is_not_retried(server: LLMServer) -> None:
    broken = LLMServer(url=server.url.replace("/v1", "/v2"))
    with pytest.raises(ModelError) as caught:
        ask(broken, 5)
    assert caught.value.reason == "http_404"


def test_the_api_key_comes_from_the_named_environment_variable(tmp_path: Path, server: LLMServer) -> None:
    path = tmp_path / "digest.toml"
    path.write_text(f'[summarize]\nbackend = "openai"\nmodel = "m"\nbase_url = "{server.url}"\napi_key_env = "K"\n')
    settings = config.load(path, env={})
    assert endpoint(settings, {"K": "sk-test"}).api_key == "sk-test"
    assert endpoint(settings, {}).api_key is None
    ask(server, 5, api_key="sk-test")
    assert server.requests[-1].headers["Authorization"] == "Bearer sk-test"


def test_backend_openai_needs_a_model(tmp_path: Path) -> None:
    path = tmp_path / "digest.toml"
    path.write_text('[summarize]\nbackend = "openai"\n')
    with pytest.raises(config.ConfigError, match=r"\[summarize\] model: required when backend is openai"):
        config.load(path, env={})


def test_digest_summarize_backend_openai_prints_rewrites_and_says_why_an_extract_stayed(
    tmp_path: Path, server: LLMServer
) -> None:
    path = tmp_path / "digest.toml"
    path.write_text(f'[summarize]\nmodel = "m"\nbase_url = "{server.url}"\ndeadline_minutes = 1\n')
    docs = tmp_path / "docs.txt"
    docs.write_text(
        "Le port de Tanger Med a traité 9,2 millions de conteneurs cette année, en hausse de 14 %.\n"
        "\n"
        "L'athlète Fatima Ouali a remporté dimanche le marathon de Marrakech en battant le record.\n",
        encoding="utf-8",
    )
    server.script = {"Ouali": "foreign_name"}

    result = CliRunner().invoke(
        cli,
        ["--config", str(path), "summarize", str(docs), "--language", "fr", "--style", "brief", "--backend", "openai"],
    )

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "En bref, le port de Tanger Med a traité 9,2 millions de conteneurs cette année, en hausse de 14 %.",
        "",
        "L'athlète Fatima Ouali a remporté dimanche le marathon de Marrakech en battant le record.",
    ]
    assert result.stderr.strip() == "line 3: extract kept (name)"
    assert server.calls == 2


def test_the_llm_benchmark_scores_rewrites_against_the_extract(tmp_path: Path, server: LLMServer) -> None:
    data = tmp_path / "dev"
    data.mkdir()
    docs = [
        "Le port de Tanger Med a traité 9,2 millions de conteneurs cette année. Le trafic a progressé de 14 %.",
        "L'athlète Fatima Ouali a remporté dimanche le marathon de Marrakech en 2 h 21 min devant 8 000 coureurs. "
        "Elle a battu de 40 secondes le record de l'épreuve.",
    ]
    (data / "source_documents.txt").write_text("\n".join(docs) + "\n", encoding="utf-8")
    (data / "gold.txt").write_text("Tanger Med a traité 9,2 millions de conteneurs.\nFatima Ouali gagne.\n")
    server.script = {"Ouali": "wrong_figure"}
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "llm_summaries.py"

    done = subprocess.run(
        [sys.executable, str(script), server.url, "--model", "m", "--data", str(data), "--style", "brief"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )

    lines = done.stdout.splitlines()
    assert any(line.startswith("extract (digest today)") for line in lines), done.stdout
    assert any(line.startswith("sent: rewrite if accepted, else extract") for line in lines)
    assert "accepted 1 of 2 (50%)" in lines
    assert "guard rejections: number 1" in lines
    assert server.calls == 2
