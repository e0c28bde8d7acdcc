"""The audit log, for administrators: newest first, keyset-paged."""

from __future__ import annotations

from teslasync.context import Context
from teslasync.db.models import AuditEntry
from teslasync.db.repositories import audit as repo
from teslasync.db.repositories import users as users_repo
from teslasync.resolvers.derived import BadPage, decode_cursor
from teslasync.resolvers.users import MAX_PAGE, require_admin


async def entries(
    context: Context, first: int, after: str | None, action: str | None, username: str | None
) -> list[AuditEntry]:
    """One beyond the page, so the caller knows whether there is a next one."""
    require_admin(context.principal)
    if not 1 <= first <= MAX_PAGE:
        raise BadPage(f"first must be between 1 and {MAX_PAGE}")
    user_id = None
    if username is not None:
        user = await users_repo.by_username(context.session, username)
        if user is None:
            return []
        user_id = user.id
    before = decode_cursor(after) if after else None
    rows = await repo.page(context.session, before=before, limit=first + 1, action=action, user_id=user_id)
    return list(rows)
