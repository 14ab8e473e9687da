"""The audit log: who did what, when (certificates issued, revoked, downloaded; accounts and imports)."""
from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db
from .timeutil import UTCDateTime, utcnow


class AuditEvent(db.Model):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[object] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(String(128), index=True)
    details: Mapped[dict | None] = mapped_column(JSON)
    ip: Mapped[str | None] = mapped_column(String(64))


def record(action, target=None, actor=None, **details):
    """Add an audit event to the current transaction (committed with the change it describes)."""
    ip = request.remote_addr if has_request_context() else None
    event = AuditEvent(action=action, target=target, actor_id=getattr(actor, "id", actor),
                       details=details or None, ip=ip)
    db.session.add(event)
    return event
