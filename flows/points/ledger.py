"""The points ledger: every movement a balanced posting under an idempotency key.

Balances change only here, by conditional UPDATEs (`… WHERE balance + :amount >= 0`), so
a person's balance cannot go negative however many requests race; the CHECK constraint is
the backstop. Replaying a key returns the first posting; the same key with a different
movement is refused. Corrections are reversing postings, never edits.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from flows.core.i18n import Message
from flows.core.sql import changed, insert_once, upsert
from flows.reporting import tallies
from schemas.clock import utcnow
from schemas.tables import Account, AccountKind, Entry, Posting, PostingKind


class LedgerError(Exception):
    """A posting that cannot be made; `code` names why (see messages.LEDGER)."""

    def __init__(self, code: str, **params: Any):
        super().__init__(code)
        self.code, self.params = code, params


@dataclass(frozen=True)
class Move:
    """A signed amount on an account: positive credits it, negative debits it."""

    account: Account
    amount: int


def _account(session: Session, code: str, **fields: Any) -> Account:
    """Get or create an account; two first postings racing to create it both succeed."""
    account = session.scalar(select(Account).where(Account.code == code))
    if account is None:
        upsert(session, Account, {"code": code, "balance": 0, "allow_negative": False, "created_at": utcnow(),
                                  **fields}, on=["code"])
        account = session.scalars(select(Account).where(Account.code == code)).one()
    return account


def user_account(session: Session, user_id: int) -> Account:
    """A person's points account (created on first use)."""
    return _account(session, f"user:{user_id}", kind=AccountKind.USER, user_id=user_id)


def org_account(session: Session, org_id: int) -> Account:
    """An organisation's points account."""
    return _account(session, f"org:{org_id}", kind=AccountKind.ORG, org_id=org_id)


def issuance_account(session: Session) -> Account:
    """Where awarded points come from; its balance is minus everything ever issued."""
    return _account(session, "issuance", kind=AccountKind.ISSUANCE, allow_negative=True)


def shop_account(session: Session, community_id: int) -> Account:
    """A community shop's sales: redeemed points end here."""
    return _account(session, f"shop:{community_id}", kind=AccountKind.SHOP, community_id=community_id,
                    allow_negative=True)


def _fingerprint(kind: PostingKind, moves: Sequence[Move], refs: dict[str, Any]) -> str:
    body = {"kind": kind.value, "moves": sorted((m.account.code, m.amount) for m in moves), "refs": refs}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def find(session: Session, key: str) -> Posting | None:
    """The posting made under `key`, if any."""
    return session.scalar(select(Posting).where(Posting.key == key))


def post(session: Session, key: str, kind: PostingKind, memo: str | Message, moves: Sequence[Move], *,
         demand_id: int | None = None, order_id: int | None = None, actor_id: int | None = None,
         reverses_id: int | None = None, data: dict[str, Any] | None = None) -> Posting:
    """Record one balanced movement under `key`, in the caller's transaction.

    `memo` is the reason people read: free text (an admin's reason, a workflow's memo), or a
    catalogue `Message`, stored in Chinese and kept as code and parameters in `data["memo"]`
    so that `memo_in` can show it in the reader's language. Returns the existing posting when
    `key` was used for the same movement before.
    """
    return post_once(session, key, kind, memo, moves, demand_id=demand_id, order_id=order_id, actor_id=actor_id,
                     reverses_id=reverses_id, data=data)[0]


def post_once(session: Session, key: str, kind: PostingKind, memo: str | Message, moves: Sequence[Move], *,
              demand_id: int | None = None, order_id: int | None = None, actor_id: int | None = None,
              reverses_id: int | None = None, data: dict[str, Any] | None = None) -> tuple[Posting, bool]:
    """`post`, also saying whether this call made the posting (False: a replay of `key`).

    The key is claimed by the posting's own INSERT … ON CONFLICT DO NOTHING before any balance
    moves: of two requests racing with one key, the second waits for the first and finds its
    posting (a replay), instead of failing on the unique key after its own check said "new".
    """
    moves = [m for m in moves if m.amount != 0]
    if not moves or sum(m.amount for m in moves) != 0:
        raise LedgerError("ledger.unbalanced")
    refs = {"demand": demand_id, "order": order_id, "reverses": reverses_id}
    fingerprint = _fingerprint(kind, moves, refs)
    if isinstance(memo, Message):
        data = {**(data or {}), "memo": {"code": memo.code, "params": memo.params}}
    existing = find(session, key)
    if existing is None:
        now = utcnow()
        posting_id = insert_once(
            session, Posting, on=["key"],
            key=key, fingerprint=fingerprint, kind=kind, amount=sum(m.amount for m in moves if m.amount > 0),
            memo=str(memo)[:255], demand_id=demand_id, order_id=order_id, actor_id=actor_id, reverses_id=reverses_id,
            data=data or {}, created_at=now)
        if posting_id is not None:
            _move(session, moves)
            session.add_all(Entry(posting_id=posting_id, account_id=m.account.id, amount=m.amount, created_at=now)
                            for m in moves)
            session.flush()
            tallies.posted(session, kind, demand_id, moves, now)
            for move in moves:
                session.expire(move.account, ["balance"])
            posting = session.get(Posting, posting_id)
            assert posting is not None
            return posting, True
        existing = find(session, key)  # a concurrent request made it first: this is a replay
        assert existing is not None
    if existing.fingerprint != fingerprint:
        raise LedgerError("ledger.key_conflict")  # no key in the message: it is internal
    return existing, False


def _move(session: Session, moves: Sequence[Move]) -> None:
    """The balances, by conditional UPDATEs. Debits first, in account order: a refused debit
    fails before any credit, and a fixed lock order keeps two postings from deadlocking on
    PostgreSQL."""
    for move in sorted(moves, key=lambda m: (m.amount > 0, m.account.id)):
        done = changed(
            session, update(Account)
            .where(Account.id == move.account.id)
            .where(Account.allow_negative | (Account.balance + move.amount >= 0))
            .values(balance=Account.balance + move.amount)
            .execution_options(synchronize_session=False)
        )
        if done != 1:
            raise LedgerError("ledger.insufficient")


def memo_in(memo: str, data: dict[str, Any] | None, locale: str | None) -> str:
    """A posting's reason in the reader's language (free text stays as it was written)."""
    coded = (data or {}).get("memo")
    return Message(coded["code"], coded.get("params") or {}).render(locale) if coded else memo


def reverse(session: Session, posting: Posting, key: str, memo: str | Message, actor_id: int | None = None) -> Posting:
    """Undo `posting` with its mirror image; a posting can be reversed once."""
    entries = session.scalars(select(Entry).where(Entry.posting_id == posting.id)).all()
    moves = [Move(session.get_one(Account, e.account_id), -e.amount) for e in entries]
    return post(session, key, PostingKind.REVERSAL, memo, moves, demand_id=posting.demand_id,
                order_id=posting.order_id, actor_id=actor_id, reverses_id=posting.id)


def balance(session: Session, user_id: int) -> int:
    """A person's balance (0 before their first posting)."""
    value = session.scalar(select(Account.balance).where(Account.code == f"user:{user_id}"))
    return int(value or 0)


def check(session: Session) -> list[str]:
    """Every ledger invariant that does not hold, as sentences (empty when all is well)."""
    problems: list[str] = []
    for posting_id, total in session.execute(
        select(Entry.posting_id, func.sum(Entry.amount)).group_by(Entry.posting_id)
        .having(func.sum(Entry.amount) != 0)
    ):
        problems.append(f"posting {posting_id} does not balance: entries sum to {total}")
    grand = session.scalar(select(func.coalesce(func.sum(Entry.amount), 0)))
    if grand != 0:
        problems.append(f"all entries sum to {grand}, not 0")
    balances = session.scalar(select(func.coalesce(func.sum(Account.balance), 0)))
    if balances != 0:
        problems.append(f"all balances sum to {balances}, not 0")
    sums = dict(session.execute(select(Entry.account_id, func.sum(Entry.amount)).group_by(Entry.account_id)).all())
    for account in session.scalars(select(Account)):
        if account.balance != int(sums.get(account.id, 0)):
            problems.append(f"account {account.code}: cached balance {account.balance} != entries {sums.get(account.id, 0)}")
        if not account.allow_negative and account.balance < 0:
            problems.append(f"account {account.code} is negative: {account.balance}")
    for key, n in session.execute(select(Posting.key, func.count()).group_by(Posting.key).having(func.count() > 1)):
        problems.append(f"idempotency key {key} used {n} times")
    empty = session.scalar(text("SELECT count(*) FROM postings p WHERE NOT EXISTS "
                                "(SELECT 1 FROM entries e WHERE e.posting_id = p.id)"))
    if empty:
        problems.append(f"{empty} postings have no entries")
    return problems
