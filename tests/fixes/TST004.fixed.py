# fortress-fix: select=TST004 unsafe path=tests/test_skips.py
import sys
import unittest

import pytest


@pytest.mark.skip(reason="TODO: explain")
def test__bare_skip__fixed():
    assert 1 < 2


@pytest.mark.skip(reason="TODO: explain")
def test__empty_call__fixed():
    assert 1 < 2


@pytest.mark.skip(reason="TODO: explain")
def test__empty_reason__fixed():
    assert 1 < 2


@pytest.mark.skipif(sys.platform == "win32", reason="TODO: explain")
def test__skipif__fixed():
    assert 1 < 2


@pytest.mark.xfail(raises=ZeroDivisionError, strict=True, reason="TODO: explain",)
def test__xfail_trailing_comma__fixed():
    assert 1 / 0


def test__inline_skip__fixed():
    pytest.skip(reason="TODO: explain")


class TestCase(unittest.TestCase):
    @unittest.skip("TODO: explain")
    def test__unittest_bare__fixed(self):
        self.assertTrue(True)

    def test__skip_test__fixed(self):
        self.skipTest("TODO: explain")

    @unittest.skipIf(sys.platform == "win32", reason="TODO: explain")
    def test__skip_if__fixed(self):
        self.assertTrue(True)


@pytest.mark.skip(reason="needs a database")
def test__with_reason__untouched():
    assert 1 < 2
