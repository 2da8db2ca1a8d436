"""Every table of Yijia, as typed SQLAlchemy 2 mappings. Alembic owns the schema."""
from .base import Base, utcnow
from .content import AuditLog, DirectoryEntry, DirectoryKind, DirectoryService, NewsPost, Tally
from .demands import (
    Claim,
    ClaimStatus,
    Demand,
    Evaluation,
    Event,
    Outbox,
    ServiceRecord,
    TaskCategory,
    TaskType,
    WorkflowVersion,
)
from .ledger import Account, AccountKind, Entry, Posting, PostingKind
from .people import (
    Member,
    MemberRegistration,
    Organisation,
    OrgRegistration,
    RegistrationStatus,
    Role,
    RoleGrant,
    Skill,
    User,
    member_skills,
)
from .regions import Region, RegionLevel
from .services import AppointmentService, AppointmentSlot, Booking, BookingStatus
from .shop import LimitPeriod, Order, OrderStatus, PurchaseCounter, ShopItem

__all__ = [name for name in dir() if not name.startswith("_")]
