//! Audit events to a C callback, and the request context that events carry.

use crate::{ffi_boundary, ropc_status, try_opt_str};
use ropc_core::events::{Event, EventSink};
use std::ffi::{c_char, c_void, CString};

/// Receives one audit event as a NUL-terminated JSON object (borrowed for
/// the call), on ropc's event thread, one at a time: see
/// `ropc_server_builder_set_event_callback`.
pub type ropc_event_callback =
    unsafe extern "C" fn(userdata: *mut c_void, event_json: *const c_char);

pub(crate) struct CEvents {
    pub(crate) callback: ropc_event_callback,
    pub(crate) userdata: *mut c_void,
    /// Only the warnings (reuse, locks, store errors): no other event is made.
    pub(crate) warnings_only: bool,
}

// SAFETY: the callback is called from one thread (ropc's event thread) at
// a time; the C API requires userdata to live until the server is freed
// and to be usable from that thread (documented on the setter).
unsafe impl Send for CEvents {}
// SAFETY: as above.
unsafe impl Sync for CEvents {}

impl EventSink for CEvents {
    fn wants(&self, kind: ropc_core::events::EventKind) -> bool {
        !self.warnings_only || kind.is_warning()
    }

    fn event(&self, event: &Event) {
        // JSON never holds a NUL byte (serde escapes control characters).
        if let Ok(json) = CString::new(event.to_json()) {
            // SAFETY: a callback the host gave, with its userdata and a
            // string valid for the call.
            unsafe { (self.callback)(self.userdata, json.as_ptr()) }
        }
    }
}

/// Attaches a request's remote address and id (either may be NULL) to the
/// audit events of every call this thread makes until the next call of
/// this function; `ropc_request_context_set(NULL, NULL)` clears them. Call
/// it when a request arrives, on the thread that handles it.
#[no_mangle]
pub extern "C" fn ropc_request_context_set(
    remote_addr: *const c_char,
    request_id: *const c_char,
) -> ropc_status {
    ffi_boundary! {
        let remote_addr = try_opt_str!(remote_addr);
        let request_id = try_opt_str!(request_id);
        ropc_core::events::set_request_context(remote_addr, request_id);
        ropc_status::ROPC_OK
    }
}
