//! Two real `sfd-server` processes share one SeaweedFS bucket and lose
//! nothing: a PATCH storm, deletes raced against creates, and generations
//! that survive one process being killed with SIGKILL.

use std::sync::Arc;
use std::time::Duration;

use sfd_client::{Drama, GenerationRequest, JobStatus};
use tokio::sync::Notify;

use crate::mock_llm::{self, StageCalls};
use crate::replica::{Replica, shared_bucket};
use crate::storm;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_hundred_patches_alternating_between_two_processes_lose_nothing() {
    let Some(bucket) = shared_bucket() else { return };
    let (a, b) = (Replica::start(&bucket, &[]), Replica::start(&bucket, &[]));
    let d = storm::drama("storm", 8, 50);
    a.client.import_drama(&d).await.unwrap();
    let failed = storm::edit_every_scene(&[&a.client, &b.client], &d).await;
    assert!(
        failed.is_empty(),
        "{} of 400 PATCHes were not 200: {failed:?}",
        failed.len()
    );
    for replica in [&a, &b] {
        let lost = storm::unedited(&replica.client.get_drama("storm").await.unwrap().value);
        assert!(lost.is_empty(), "lost updates: {lost:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_deletes_raced_against_creates_lose_no_acknowledged_create() {
    let Some(bucket) = shared_bucket() else { return };
    let (a, b) = (Replica::start(&bucket, &[]), Replica::start(&bucket, &[]));
    let (mut created, mut lost) = (0, Vec::new());
    for round in 0..200 {
        let id = format!("race{round}");
        a.client.import_drama(&Drama::new(&id, "old", "x", "p")).await.unwrap();
        let fresh = Drama::new(&id, format!("created in round {round}"), "x", "p");
        // DELETE X on A while POST X on B.
        let (deleted, posted) = tokio::join!(a.client.delete_drama(&id, None), b.client.import_drama(&fresh));
        deleted.unwrap();
        match posted {
            Ok(_) => {
                created += 1;
                match a.client.get_drama(&id).await {
                    Ok(d) if d.value.title == fresh.title => {}
                    other => lost.push((round, format!("{other:?}"))),
                }
            }
            Err(e) if e.is_conflict() => assert!(a.client.get_drama(&id).await.unwrap_err().is_not_found()),
            Err(e) => panic!("round {round}: {e}"),
        }
    }
    eprintln!(
        "delete against create: {created} of 200 creates acknowledged, {} lost",
        lost.len()
    );
    assert!(lost.is_empty(), "acknowledged creates lost: {lost:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_generations_survive_a_sigkill_and_each_stage_runs_once_per_attempt() {
    let Some(bucket) = shared_bucket() else { return };
    let calls = Arc::new(StageCalls::default());
    let hung = Arc::new(Notify::new());
    // A's LLM answers 30 calls, then hangs: A is killed in the middle of its jobs.
    let llm_a = mock_llm::start(
        Arc::clone(&calls),
        Duration::from_millis(50),
        Some((30, Arc::clone(&hung))),
    )
    .await;
    let llm_b = mock_llm::start(Arc::clone(&calls), Duration::from_millis(50), None).await;
    let (base_a, base_b) = (format!("{}/v1", llm_a.uri()), format!("{}/v1", llm_b.uri()));
    let env = |base| {
        [
            ("OPENAI_API_KEY", "sk-test"),
            ("SFD_JOB_LEASE", "2s"),
            ("OPENAI_API_BASE", base),
        ]
    };
    let request = |k: usize| {
        GenerationRequest::new(format!("[job {k}] a heist on a rainy rooftop"))
            .with_id(format!("gen{k}"))
            .with_episodes(2)
            .with_scenes_per_episode(1)
    };
    // A alone takes the first half, so it surely reaches its 30th call and
    // hangs (with B running, B could take enough of them that A never does).
    let mut a = Replica::start(&bucket, &env(base_a.as_str()));
    let mut jobs = Vec::new();
    for k in (0..50).step_by(2) {
        jobs.push(a.client.generate_drama(&request(k)).await.unwrap());
    }
    hung.notified().await;
    let b = Replica::start(&bucket, &env(base_b.as_str()));
    for k in (1..50).step_by(2) {
        jobs.push(b.client.generate_drama(&request(k)).await.unwrap());
    }
    a.kill();
    // Every job ends, on B; the overall deadline only turns a hang into a failure.
    let waits = jobs
        .iter()
        .map(|j| b.client.wait_for_job(&j.drama_id, &j.job_id, Duration::from_secs(300)));
    let ended = futures::future::join_all(waits).await;
    let mut taken_over = 0;
    for job in ended {
        let job = job.unwrap();
        let k: usize = job.drama_id.trim_start_matches("gen").parse().unwrap();
        assert_eq!(job.status, JobStatus::Completed, "job {k}: {:?}", job.error);
        assert_eq!(b.client.get_drama(&job.drama_id).await.unwrap().value.episodes.len(), 2);
        let stages = calls.of(&format!("[job {k}]"));
        let mut names: Vec<_> = stages.keys().cloned().collect();
        names.sort();
        assert_eq!(names, ["episode 1", "episode 2", "outline"], "job {k}");
        // Each stage ran once per attempt at most: a single attempt paid once;
        // only a job the killed process had started may have paid twice.
        for (stage, n) in &stages {
            assert!(
                *n <= job.attempts as usize,
                "job {k}: {stage} ran {n} times in {} attempts",
                job.attempts
            );
        }
        if job.attempts > 1 {
            taken_over += 1;
        }
    }
    assert!(taken_over >= 1, "no job of the killed process was taken over");
    eprintln!("50 generations completed; {taken_over} taken over from the killed process");
}
