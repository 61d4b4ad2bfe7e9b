//! Exchange logic, one file per exchange (RFC 7296 §1.2–§1.4), plus the dispatcher that routes
//! an incoming message of an existing SA to the right handler.

pub(crate) mod child;
pub(crate) mod create_child;
mod dispatch;
pub(crate) mod ike_auth;
pub(crate) mod ike_sa_init;
pub(crate) mod informational;
pub(crate) mod resume;
pub(crate) mod rules;
pub(crate) mod ticket;

use ike_wire::{NotifyPayload, NotifyType, Payload};

/// All notifies in a payload list.
pub(crate) fn notifies(payloads: &[Payload]) -> impl Iterator<Item = &NotifyPayload> {
    payloads.iter().filter_map(|p| match p {
        Payload::Notify(n) => Some(n),
        _ => None,
    })
}

/// The first notify of type `t`.
pub(crate) fn find_notify(payloads: &[Payload], t: NotifyType) -> Option<&NotifyPayload> {
    notifies(payloads).find(|n| n.notify_type == t)
}

/// The first error notify, if any.
pub(crate) fn first_error(payloads: &[Payload]) -> Option<NotifyType> {
    notifies(payloads)
        .map(|n| n.notify_type)
        .find(|t| t.is_error())
}

/// A status notify without data.
pub(crate) fn status(t: NotifyType) -> Payload {
    Payload::Notify(NotifyPayload::status(t))
}
