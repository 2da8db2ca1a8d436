"""Every table of Yijia, as typed SQLAlchemy 2 mappings. Alembic owns the schema."""
from schemas.tables.base import Base
from schemas.tables.content import AuditLog, DirectoryEntry, DirectoryKind, DirectoryService, NewsPost, Tally
from schemas.tables.demands import (
    Claim,
    ClaimStatus,
    Demand,
    Escalation,
    Evaluation,
    Event,
    Outbox,
    ServiceRecord,
    TaskCategory,
    TaskType,
    WorkflowVersion,
)
from schemas.tables.fleet import FleetMark
from schemas.tables.jobs import ImportJob, JobStatus
from schemas.tables.ledger import (
    Account,
    AccountKind,
    AdjustmentStatus,
    Entry,
    PointAdjustment,
    PointPolicy,
    Posting,
    PostingKind,
)
from schemas.tables.notices import NoticeChoice, NoticeStatus, NoticeTemplateOverride, Notification
from schemas.tables.people import (
    ApiReplay,
    AppToken,
    LoginSession,
    Member,
    MemberRegistration,
    Organisation,
    OrgRegistration,
    RegistrationStatus,
    Role,
    RoleGrant,
    Skill,
    User,
    WeChatBindCode,
    WeChatTicket,
    member_skills,
)
from schemas.tables.regions import Region, RegionLevel
from schemas.tables.services import AppointmentService, AppointmentSlot, Booking, BookingStatus
from schemas.tables.sharing import (
    Resource,
    ResourceBooking,
    ResourceBookingStatus,
    ResourceClosure,
    ResourceHours,
    ResourceKind,
)
from schemas.tables.shop import LimitPeriod, Order, OrderStatus, PurchaseCounter, ShopItem, StockMove

__all__ = [name for name in dir() if not name.startswith("_")]
