"""Filling in a saved reply's variables: values from the conversation, unknown braces left as
typed, and a variable with no value leaving neither a gap nor a double space."""
from __future__ import annotations

import pytest

from app.saved_replies.variables import first_name, render, unknown_variables, values_for

NONE = {"first_name": "", "username": "", "agent_name": "Sam", "account": "Demo Boutique"}


def test_values_come_from_the_conversation_and_the_agent(app, factory):
    account = factory.account(username="demo.boutique")
    account.name = "Demo Boutique"
    contact = factory.contact(account, name="Maria José Lopez", username="maria.jl")
    conversation = factory.conversation(account, contact=contact)
    agent = factory.user(account.workspace, name="Sam Rivera", role="agent")
    values = values_for(conversation, agent)
    assert values == {"first_name": "Maria", "username": "maria.jl", "agent_name": "Sam Rivera",
                      "account": "Demo Boutique"}
    text = "Hi {first_name} (@{username}), {agent_name} from {account} here."
    assert render(text, values) == "Hi Maria (@maria.jl), Sam Rivera from Demo Boutique here."


def test_an_account_without_a_name_is_its_username(app, factory):
    account = factory.account(username="shop.two")
    account.name = None
    conversation = factory.conversation(account)
    assert values_for(conversation, factory.user(account.workspace))["account"] == "shop.two"


@pytest.mark.parametrize("name, username, expected", [
    ("Maria Lopez", "maria", "Maria"),
    ("  Ana  ", None, "Ana"),
    ("✨ Lena K", "lena", "Lena"),  # an emoji before the name is no name
    (None, "kim_99", "kim_99"),
    ("", "kim_99", "kim_99"),
    (None, None, ""),
])
def test_first_name_is_the_first_word_of_the_name_else_the_username(name, username, expected):
    assert first_name(name, username) == expected


@pytest.mark.parametrize("text, expected", [
    ("Hi {first_name}, the dress is €59.", "Hi, the dress is €59."),
    ("Hi {first_name}! Welcome.", "Hi! Welcome."),
    ("Thanks {first_name}", "Thanks"),
    ("Dear {first_name} {username} we ship today.", "Dear we ship today."),
    ("{first_name}, your order is on its way.", "your order is on its way."),
    ("{first_name} Welcome back", "Welcome back"),
    ("Hi {first_name}\nHere are our prices.", "Hi\nHere are our prices."),
    ("Hi{first_name}!", "Hi!"),
    ("Sent by {agent_name} ({account})", "Sent by Sam (Demo Boutique)"),
])
def test_a_variable_without_a_value_leaves_no_gap(text, expected):
    rendered = render(text, NONE)
    assert rendered == expected
    assert "  " not in rendered


def test_unknown_braces_are_left_as_typed_and_listed_once():
    text = "Hi {firstname}, size {S/M} and {first_name} {firstname}"
    assert render(text, {"first_name": "Ana"}) == "Hi {firstname}, size {S/M} and Ana {firstname}"
    assert unknown_variables(text) == ["{firstname}", "{S/M}"]
    assert unknown_variables("Hello {first_name} from {account}") == []


def test_text_outside_variables_is_kept_exactly():
    text = "Prices:\n  - tote  €39\n  - dress €59 {first_name}"
    assert render(text, {"first_name": "Ana"}) == "Prices:\n  - tote  €39\n  - dress €59 Ana"
