"""Making an app per test cheap. Every test builds its own app, and two things each app used to
do again from scratch took longer than most tests:

- werkzeug compiles each URL rule's builder (an `ast` tree run through `compile`) for every app:
  with 160-odd routes, 30 ms in a small process and over 100 ms in the suite's (the garbage
  collector walks the large heap while those trees are built);
- Jinja compiles every template an app renders, again in each app's own environment (about an
  eighth of a typical test module's time).

Both results are functions of their source alone, so the session keeps them: a rule's builder
takes the rule as its first argument (`.self`) and is bound to it afterwards, so one compiled
function serves every app's copy of the same rule, keyed by the rule's parsed parts (a rule with
a default for one of its path's variables is left out: werkzeug folds that in); templates go
through Jinja's own bytecode cache, which checks each template's source checksum before using
what it kept. Only the tests use this: a server builds one app per process.
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from werkzeug.routing.rules import Rule

_COMPILE_BUILDER = getattr(Rule, "_compile_builder", None)
_BUILDERS: dict[tuple, Callable[..., Any]] = {}
_CREATE_JINJA_ENVIRONMENT = Flask.create_jinja_environment


def _cached_compile_builder(self: Rule, append_unknown: bool = True):
    defaults = self.defaults or {}
    if any(is_dynamic and name in defaults for is_dynamic, name in self._trace):
        # A default for a variable of the path is converted (with the converter's own arguments)
        # into a constant of the code: such a builder is not shared. No route of the app has one.
        return _COMPILE_BUILDER(self, append_unknown)
    # Otherwise the code holds the path's constant parts, the variables' names (converted at call
    # time through the rule it is bound to) and the defaults' names.
    key = (tuple(self._trace), tuple(sorted(map(str, defaults))), append_unknown)
    builder = _BUILDERS.get(key)
    if builder is None:
        builder = _BUILDERS[key] = _COMPILE_BUILDER(self, append_unknown)
    return builder


class SessionBytecodeCache(BytecodeCache):
    """Compiled templates in memory, for every app of the session."""

    def __init__(self) -> None:
        self.store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self.store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)  # discarded by Jinja if the source changed

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


_TEMPLATES = SessionBytecodeCache()


def _create_jinja_environment(self: Flask):
    environment = _CREATE_JINJA_ENVIRONMENT(self)
    environment.bytecode_cache = _TEMPLATES
    return environment


def install() -> None:
    """Keep rule builders and compiled templates for the session. The builder cache is left out
    if this werkzeug builds rules differently from 3.x (tests/test_fixtures.py then says so)."""
    names = Rule.compile.__code__.co_names
    if _COMPILE_BUILDER is not None and "_trace" in names and "_converters" in names:
        Rule._compile_builder = _cached_compile_builder
    Flask.create_jinja_environment = _create_jinja_environment
