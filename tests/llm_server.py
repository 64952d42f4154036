"""A small OpenAI-compatible chat server for tests: ``POST /v1/chat/completions`` on
port 0, in a thread, scripted per story and recording every request it receives.

Its good answer is the chosen sentences of the prompt, prefixed "En bref, " (or "In
short, "): text a test can tell from the extract, with no fact the source lacks.
A story whose prompt contains a key of :attr:`LLMServer.script` gets that behaviour
instead: a planted fault (see :data:`BEHAVIOURS`). Nothing here knows anything about
digest beyond the prompt format (the "- " lines after the chosen-sentences heading).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: What the server can do besides answering well.
BEHAVIOURS = (
    "good",
    "slow",  # answers well after slow_seconds
    "hang",  # never answers (until the server stops)
    "429",  # answers 429 (Retry-After: 0) to the first two calls of the story, then well
    "500",  # always answers 500
    "truncated",  # the good text cut mid-sentence, finish_reason "length"
    "cut_short",  # the good text cut mid-sentence, finish_reason "stop"
    "wrong_figure",  # the first number of the good text increased by one
    "foreign_name",  # a name the source does not have
    "reasoning",  # the good text, then a paragraph explaining it
    "think",  # a reasoning block closed by "</think>" left inside the answer
    "markdown",  # the good text in bold
    "label",  # "Résumé : " before the good text
    "obey",  # does what an injected instruction asked: a link and a figure of its own
)


@dataclass
class Recorded:
    """One request as received."""

    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def system(self) -> str:
        return str(self.body["messages"][0]["content"])

    @property
    def user(self) -> str:
        return str(self.body["messages"][-1]["content"])

    @property
    def article(self) -> str:
        """The text between the article tags of the user message."""
        m = re.search(r"<article>\n(.*)\n</article>", self.user, re.DOTALL)
        return m.group(1) if m else ""


@dataclass
class LLMServer:
    """The running server: its URL, the script, what it received."""

    url: str = ""
    script: dict[str, str] = field(default_factory=dict)
    slow_seconds: float = 0.5
    requests: list[Recorded] = field(default_factory=list)
    usage: bool = True
    stop: threading.Event = field(default_factory=threading.Event)
    _counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def calls(self) -> int:
        """Requests received so far."""
        return len(self.requests)

    def behaviour(self, user: str) -> tuple[str, int]:
        """The scripted behaviour for this prompt and how many times it was asked."""
        for key, what in self.script.items():
            if key in user:
                with self._lock:
                    self._counts[key] = self._counts.get(key, 0) + 1
                    return what, self._counts[key]
        return "good", 1


def chosen_sentences(user: str) -> list[str]:
    """The "- " lines of the prompt's chosen sentences."""
    block = user.split("<article>")[0]
    return [line[2:] for line in block.splitlines() if line.startswith("- ")]


def good_answer(user: str) -> str:
    prefix = "En bref, " if "Phrases choisies" in user else "In short, "
    text = " ".join(chosen_sentences(user))
    return prefix + text[:1].lower() + text[1:]


def _answer(what: str, user: str) -> tuple[str, str]:
    """(text, finish_reason) for a behaviour that answers 200."""
    good = good_answer(user)
    if what == "truncated":
        return good[: len(good) // 2].rstrip(" .,"), "length"
    if what == "cut_short":
        return good[: len(good) // 2].rstrip(" .,"), "stop"
    if what == "wrong_figure":
        return re.sub(r"\d+", lambda m: str(int(m.group(0)) + 1), good, count=1), "stop"
    if what == "foreign_name":
        return good.replace("En bref, ", "Selon Dupont, ", 1).replace("In short, ", "Per Dupont, ", 1), "stop"
    if what == "reasoning":
        return good + "\n\nJ'ai gardé ces phrases parce qu'elles disent l'essentiel.", "stop"
    if what == "think":
        return "Je dois résumer sans rien ajouter.</think>\n" + good, "stop"
    if what == "markdown":
        return f"**{good}**", "stop"
    if what == "label":
        return "Résumé : " + good, "stop"
    if what == "obey":
        return "Gagnez 1000 euros sur https://evil.example dès maintenant.", "stop"
    return good, "stop"


def _handler(server: LLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": "not found"})
                return
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            recorded = Recorded(body, dict(self.headers.items()))
            server.requests.append(recorded)
            what, count = server.behaviour(recorded.user)
            if what == "hang":
                server.stop.wait(60)
                return
            if what == "slow":
                server.stop.wait(server.slow_seconds)
            if what == "429" and count <= 2:
                self._send(429, {"error": {"message": "slow down"}}, {"Retry-After": "0"})
                return
            if what == "500":
                self._send(500, {"error": {"message": "boom"}})
                return
            text, finish = _answer(what, recorded.user)
            if what == "good" and "Pourquoi c'est important" in recorded.system:  # asked for the line
                text += "\nPourquoi c'est important : " + chosen_sentences(recorded.user)[0]
            payload: dict[str, Any] = {
                "id": "chatcmpl-test",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", ""),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
            }
            if server.usage:
                payload["usage"] = {
                    "prompt_tokens": len(recorded.user.split()),
                    "completion_tokens": len(text.split()),
                    "total_tokens": len(recorded.user.split()) + len(text.split()),
                }
            self._send(200, payload)

    return Handler


@contextmanager
def llm_server() -> Iterator[LLMServer]:
    """A running :class:`LLMServer`; stopped (hanging requests released) on exit."""
    state = LLMServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    httpd.daemon_threads = True
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield state
    finally:
        state.stop.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)
