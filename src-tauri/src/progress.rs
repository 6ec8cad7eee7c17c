//! The app's side of the core's [`Progress`]: each step as an event to the window, and the
//! Cancel button as the switch.

use std::sync::Arc;

use gram_admin_core::actions::{Event, Progress, Sink};
use gram_admin_core::github::Cancel;
use tauri::{AppHandle, Emitter, Runtime};

use crate::views::EXPORT_STEP_EVENT;

/// The event each publish step is sent as ([`gram_admin_core::github::PublishEvent`]).
pub const PUBLISH_EVENT: &str = "publish-event";

/// Sends an action's progress to the UI; `cancel` is what the UI's Cancel button pulls.
#[derive(Debug)]
pub struct Window<R: Runtime> {
    app: AppHandle<R>,
    cancel: Cancel,
}

impl<R: Runtime> Window<R> {
    pub fn sink(app: &AppHandle<R>, cancel: Cancel) -> Sink {
        Arc::new(Self {
            app: app.clone(),
            cancel,
        })
    }
}

impl<R: Runtime> Progress for Window<R> {
    fn report(&self, event: Event) {
        let _ = match event {
            Event::Export(step) => self.app.emit(EXPORT_STEP_EVENT, step),
            Event::Publish(event) => self.app.emit(PUBLISH_EVENT, event),
        };
    }

    fn cancel(&self) -> Cancel {
        self.cancel.clone()
    }
}
