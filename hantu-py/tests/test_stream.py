"""hantu.kis.Stream: the KIS real-time feed from Python, against the local KIS server."""

import socket

import pytest

import hantu


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_stream_that_cannot_connect_says_why():
    with hantu.kis.LocalServer(at="2025-07-25 10:00") as server:
        url = f"ws://127.0.0.1:{closed_port()}"
        with pytest.raises(hantu.BrokerError, match="connecting to ws://127.0.0.1"):
            hantu.kis.Stream(server._inner.app_key, server._inner.app_secret, env=server.env, url=server.url, ws_url=url)


def test_bad_arguments_are_refused_before_connecting():
    with pytest.raises(hantu.ValidationError):
        hantu.kis.Stream("k" * 36, "s" * 180, url="http://127.0.0.1:1", ws_url="ws://127.0.0.1:1", bar_minutes=0)
    with pytest.raises(hantu.ConfigError, match="paper"):
        hantu.kis.Stream("k" * 36, "s" * 180, env="demo-ish")
