"""The data model, one module per subject; import models from here (`from app.models import Message`).

- `types`: UTC timestamps (`UTCDateTime`, `utcnow`), `enum_check`, `MAX_ID`
- `workspaces`: Workspace, User, ApiToken
- `accounts`: InstagramAccount (with its auto-assignment mode), AccountAssignee, AccountImport (its
  history import), DataDeletionRequest
- `conversations`: Contact, Conversation, Message, Note, Lead (and its LeadStageChange history), Upload
- `webhooks`: WebhookEvent (the raw delivery log), DeferredEvent
- `automation`: AutomationSettings, AutomationRule, AutomationLog, AiDraft, CommentAutomationClaim
- `team`: Invite, PasswordReset, SignedOutSession
- `audit`: AuditEntry
- `agents_day`: ConversationUnread (one person's unread), Label, ConversationLabel, SavedReply, Draft,
  ConversationViewer (who has a conversation open, and typing)
- `integrations`: WebhookEndpoint, WebhookDelivery, WebhookAttempt (outbound webhooks for a CRM)
- `notifications`: Notification, NotificationPreference, PushSubscription, NoteMention

Constraints live in the database (unique keys, foreign keys, checks) so that concurrent web and
worker processes cannot create duplicates whatever the Python code does. Every timestamp is
stored in UTC and comes back timezone-aware, also on SQLite. Modules here import nothing of the
feature packages, so any module of the app can be imported first; importing this package
registers every table in the one metadata that migrations compare against.
"""
from app.models.types import MAX_ID, UTCDateTime, enum_check, utcnow
from app.models.workspaces import AVAILABILITIES, ROLES, THEMES, ApiToken, User, Workspace
from app.models.accounts import (
    ACCOUNT_STATUSES,
    ASSIGNMENT_MODES,
    IMPORT_STATUSES,
    AccountAssignee,
    AccountImport,
    DataDeletionRequest,
    InstagramAccount,
)
from app.models.conversations import (
    CONVERSATION_KINDS,
    CONVERSATION_STATUSES,
    DIRECTIONS,
    LEAD_STATUSES,
    MESSAGE_SOURCES,
    MESSAGE_STATUSES,
    SPEAKERS,
    Contact,
    Conversation,
    InstagramMedia,
    Lead,
    LeadStageChange,
    Message,
    Note,
    Upload,
)
from app.models.webhooks import WEBHOOK_STATUSES, DeferredEvent, WebhookEvent
from app.models.automation import (
    AiDraft,
    AutomationLog,
    AutomationRule,
    AutomationSettings,
    CommentAutomationClaim,
)
from app.models.team import Invite, PasswordReset, SignedOutSession
from app.models.audit import AuditEntry
from app.models.agents_day import (
    ConversationLabel,
    ConversationUnread,
    ConversationViewer,
    Draft,
    Label,
    SavedReply,
)
from app.models.integrations import DELIVERY_STATUSES, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from app.models.notifications import (
    NOTIFICATION_TYPES,
    NoteMention,
    Notification,
    NotificationPreference,
    PushSubscription,
)

__all__ = [
    "MAX_ID", "UTCDateTime", "enum_check", "utcnow",
    "AVAILABILITIES", "ROLES", "THEMES", "ApiToken", "User", "Workspace",
    "ACCOUNT_STATUSES", "ASSIGNMENT_MODES", "IMPORT_STATUSES", "AccountAssignee", "AccountImport",
    "DataDeletionRequest", "InstagramAccount",
    "CONVERSATION_KINDS", "CONVERSATION_STATUSES", "DIRECTIONS", "LEAD_STATUSES", "MESSAGE_SOURCES", "MESSAGE_STATUSES",
    "SPEAKERS",
    "Contact", "Conversation", "InstagramMedia", "Lead", "LeadStageChange", "Message", "Note", "Upload",
    "WEBHOOK_STATUSES", "DeferredEvent", "WebhookEvent",
    "AiDraft", "AutomationLog", "AutomationRule", "AutomationSettings", "CommentAutomationClaim",
    "Invite", "PasswordReset", "SignedOutSession",
    "AuditEntry",
    "ConversationLabel", "ConversationUnread", "ConversationViewer", "Draft", "Label", "SavedReply",
    "DELIVERY_STATUSES", "WebhookAttempt", "WebhookDelivery", "WebhookEndpoint",
    "NOTIFICATION_TYPES", "NoteMention", "Notification", "NotificationPreference", "PushSubscription",
]
