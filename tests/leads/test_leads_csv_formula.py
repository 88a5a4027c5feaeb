"""F-18: /leads.csv never hands a spreadsheet a formula, whatever a customer puts in their name or
username: leading whitespace or control characters, full-width signs, or a ';' (the list separator
of continental-European Excel) do not get round the guard."""
from __future__ import annotations

import csv
import io

import pytest

FORMULAS = [
    "=1+1", "+1", "-2", "@SUM(A1)",        # the plain starts
    "\t=1", "\r=1", "\n=2+2",              # tab, CR, LF first
    " =1+1", "  \t@x", "\x01=1", "\x1b+1",  # hidden behind whitespace or control characters
    "\u200b=1",                            # ... or a zero-width space
    "＝1+1", "＋1", "－1", "＠SUM(A1)",     # full-width forms
    " ＝1",
]


@pytest.fixture
def export(factory, auth):
    def run(names=(), usernames=()):
        ws = factory.workspace("Shop")
        me = factory.user(ws, name="Maya")
        account = factory.account(ws, username="acme")
        for i, name in enumerate(names):
            contact = factory.contact(account, name=name, username=f"user{i}")
            factory.lead(factory.conversation(account, contact=contact))
        for i, username in enumerate(usernames):
            contact = factory.contact(account, name=f"Name {i}", username=username)
            factory.lead(factory.conversation(account, contact=contact))
        auth.login(me)
        response = auth.client.get("/leads.csv")
        assert response.status_code == 200
        body = response.get_data(as_text=True).lstrip("\ufeff")
        return body, list(csv.DictReader(io.StringIO(body)))
    return run


@pytest.mark.parametrize("name", FORMULAS)
def test_a_formula_in_a_name_is_prefixed(export, name):
    _, rows = export(names=[name])
    assert [row["name"] for row in rows] == ["'" + name]


@pytest.mark.parametrize("username", ["=cmd", "-x", "@handle", " +1", "＝x"])
def test_a_formula_in_a_username_is_prefixed(export, username):
    _, rows = export(usernames=[username])
    assert [row["username"] for row in rows] == ["'" + username]


def test_a_semicolon_cell_is_quoted(export):
    body, rows = export(names=[";=3+3", "Ann; =1"])
    assert {row["name"] for row in rows} == {";=3+3", "Ann; =1"}
    # Quoted, so Excel with ';' as its list separator does not split the cell and run "=3+3".
    assert '";=3+3"' in body and '"Ann; =1"' in body


@pytest.mark.parametrize("name", ["Ann", "Jean-Luc", "a=b", "Ann +1", "  Ann", "ＡＢ"])
def test_ordinary_names_are_left_alone(export, name):
    _, rows = export(names=[name])
    assert [row["name"] for row in rows] == [name]
