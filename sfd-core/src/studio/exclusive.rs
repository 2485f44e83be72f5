//! One render of a drama at a time, across every process sharing the
//! store: a second `render_drama` request while one is pending or running
//! is refused ([`Error::AlreadyRendering`], HTTP 409) naming that job.
//!
//! Job records are the shared truth: the request checks them before
//! queueing, and again after, so two replicas queueing at the same moment
//! both see both jobs; the later one (by creation time, then id) is
//! cancelled and refused. Renders of single assets still queue behind a
//! running render (they wait their turn and pay nothing twice).

use crate::jobs::JobRunner;
use crate::model::{Job, JobType};
use crate::{Error, Result};

/// The active whole-drama render jobs of `drama_id`, oldest first.
async fn active(jobs: &JobRunner, drama_id: &str) -> Result<Vec<Job>> {
    let mut list: Vec<Job> = jobs
        .list(drama_id)
        .await?
        .into_iter()
        .filter(|j| j.kind == JobType::RenderDrama && !j.status.is_terminal())
        .collect();
    list.sort_by(|a, b| (a.created_at, &a.job_id).cmp(&(b.created_at, &b.job_id)));
    Ok(list)
}

fn refused(drama_id: &str, holder: &Job) -> Error {
    Error::AlreadyRendering {
        drama_id: drama_id.to_string(),
        job_id: holder.job_id.clone(),
    }
}

/// Refuses when a render of `drama_id` is already pending or running.
pub(crate) async fn check(jobs: &JobRunner, drama_id: &str) -> Result<()> {
    match active(jobs, drama_id).await?.first() {
        Some(holder) => Err(refused(drama_id, holder)),
        None => Ok(()),
    }
}

/// Keeps `mine` when it is the oldest active render of the drama;
/// otherwise cancels it and refuses, naming the older one.
pub(crate) async fn keep_first(jobs: &JobRunner, drama_id: &str, mine: Job) -> Result<Job> {
    let list = active(jobs, drama_id).await?;
    match list.first() {
        Some(holder) if holder.job_id != mine.job_id => {
            jobs.cancel(drama_id, &mine.job_id).await?;
            Err(refused(drama_id, holder))
        }
        _ => Ok(mine),
    }
}
