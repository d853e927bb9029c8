//! Lost races: how often a use case whose conditional write found the record changed
//! reloads it and tries again.

/// Runs `attempt` again while it reports a lost race, at most `MAX_CONFLICT_RETRIES` times.
pub(crate) const MAX_CONFLICT_RETRIES: usize = 200;
