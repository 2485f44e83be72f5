//! `sfd-server --migrate [--dry-run]`: moves a bucket of the old server's
//! later versions into sfd's layout, one report line per item.

use std::io::Write;

use sfd_core::MigrationAction;

use crate::{Config, Result};

/// Runs the migration `config` asks for on its storage and writes the
/// report to `out`: one line per item (`move A -> B (…)`, `remove A (…)`,
/// `skip A: …`), then a summary line. With `--dry-run` nothing changes.
pub async fn migrate(config: &Config, out: &mut impl Write) -> Result<()> {
    let storage = config.object_storage()?;
    let report = storage.migrate(config.dry_run).await?;
    for item in &report {
        writeln!(out, "{item}")?;
    }
    let skipped = report.iter().filter(|m| m.action == MigrationAction::Skip).count();
    let changed = report.len() - skipped;
    let summary = match (config.dry_run, report.is_empty()) {
        (_, true) => "nothing to migrate: the bucket is in sfd's layout".to_string(),
        (true, false) => format!("dry run: {changed} item(s) would change, {skipped} skipped; nothing was changed"),
        (false, false) => format!("migrated: {changed} item(s) changed, {skipped} skipped"),
    };
    writeln!(out, "{summary}")?;
    Ok(())
}
