//! What the UI shows for each publish step, from the core's [`Step`]: its label and whether it
//! moves the branch (after which a publish can no longer be cancelled). The UI keeps no copy.

use gram_admin_core::github::Step;
use serde::Serialize;

/// One publish step as the progress list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
#[ts(export)]
pub struct StepInfo {
    pub step: Step,
    /// "Reading the branch" ([`Step::doing`], as a line of its own).
    pub label: String,
    /// [`Step::moves_branch`]: once this step starts, cancelling is no longer offered.
    pub moves_branch: bool,
}

impl StepInfo {
    pub fn of(step: Step) -> Self {
        let doing = step.doing();
        let mut chars = doing.chars();
        let label = chars
            .next()
            .map(|first| first.to_uppercase().chain(chars).collect())
            .unwrap_or_default();
        Self {
            step,
            label,
            moves_branch: step.moves_branch(),
        }
    }
}

/// Every publish step with its label, in [`Step::ALL`] order.
#[tauri::command]
pub fn list_publish_steps() -> Vec<StepInfo> {
    Step::ALL.into_iter().map(StepInfo::of).collect()
}
