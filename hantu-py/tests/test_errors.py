import hantu
import pytest


def test_hierarchy():
    for cls in (
        hantu.ValidationError,
        hantu.ConfigError,
        hantu.DataError,
        hantu.BrokerError,
        hantu.StoreError,
        hantu.EngineError,
    ):
        assert issubclass(cls, hantu.HantuError)
    assert issubclass(hantu.RateLimitError, hantu.BrokerError)
    assert issubclass(hantu.HantuError, Exception)


def test_installed_not_source_tree():
    # The suite must exercise the installed wheel, as a user has it.
    assert "site-packages" in hantu.__file__
    assert hantu.__version__
