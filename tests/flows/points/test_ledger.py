"""The ledger's promises: balanced, idempotent, never negative, append-only, checkable."""
from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, IntegrityError

from flows.points import ledger
from schemas.tables import PostingKind
from tests.world import build_world


@pytest.fixture
def world(factory):
    return build_world(factory)


def _award(s, user_id, amount, key):
    return ledger.post(s, key, PostingKind.AWARD, "测试奖励",
                       [ledger.Move(ledger.issuance_account(s), -amount), ledger.Move(ledger.user_account(s, user_id), amount)])


def test_replay_returns_the_first_posting(session, world):
    first = _award(session, world["mem1"], 10, "award:demand:1:m:1")
    session.commit()
    again = _award(session, world["mem1"], 10, "award:demand:1:m:1")
    session.commit()
    assert again.id == first.id and ledger.balance(session, world["mem1"]) == 10
    with pytest.raises(ledger.LedgerError) as exc:
        _award(session, world["mem1"], 11, "award:demand:1:m:1")
    assert exc.value.code == "ledger.key_conflict"
    session.rollback()
    assert ledger.check(session) == []


def test_no_negative_balance_and_nothing_half_written(session, world):
    _award(session, world["mem1"], 5, "k1")
    session.commit()
    with pytest.raises(ledger.LedgerError) as exc:
        ledger.post(session, "spend", PostingKind.REDEEM, "买", [
            ledger.Move(ledger.user_account(session, world["mem1"]), -6),
            ledger.Move(ledger.shop_account(session, world["ca"]), 6)])
    assert exc.value.code == "ledger.insufficient"
    session.rollback()
    assert ledger.balance(session, world["mem1"]) == 5 and ledger.check(session) == []


def test_unbalanced_refused(session, world):
    with pytest.raises(ledger.LedgerError):
        ledger.post(session, "bad", PostingKind.ADJUST, "x", [ledger.Move(ledger.user_account(session, world["mem1"]), 5)])


def test_reversal_once(session, world):
    posting = _award(session, world["mem1"], 8, "k")
    session.commit()
    ledger.reverse(session, posting, "rev:k", "撤销")
    session.commit()
    assert ledger.balance(session, world["mem1"]) == 0
    with pytest.raises((ledger.LedgerError, IntegrityError)):
        ledger.reverse(session, posting, "rev:k2", "再撤销")  # a posting is reversed at most once
    session.rollback()
    assert ledger.check(session) == []


@pytest.mark.parametrize("statement", ["UPDATE entries SET amount = amount + 1", "DELETE FROM entries",
                                       "UPDATE postings SET memo = 'x'", "DELETE FROM postings"])
def test_history_is_append_only_in_the_database(session, world, statement):
    _award(session, world["mem1"], 3, "k")
    session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text(statement))
    session.rollback()


def test_check_finds_a_tampered_balance(session, world):
    _award(session, world["mem1"], 7, "k")
    session.commit()
    session.execute(text("UPDATE accounts SET balance = 70 WHERE code = :c"), {"c": f"user:{world['mem1']}"})
    session.commit()
    problems = ledger.check(session)
    assert any("cached balance 70 != entries 7" in p for p in problems)
    assert any("all balances sum to 63" in p for p in problems)
