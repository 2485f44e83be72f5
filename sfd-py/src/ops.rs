//! The operation table shared by `Studio` and `Client`: same names, same
//! JSON arguments, same JSON results.

use std::time::Duration;

use serde_json::Value;
use sfd_core::{Drama, DramaPatch, EditExt, ListOptions, StorageExt, Studio};

use crate::args::{arg, generation_request, parse, patch, reference_image, to_json};
use crate::levels::level_op;
use crate::media;
use crate::target::{R, Target};

/// Runs `op` with JSON `args` and returns JSON.
/// `data` is the content of an upload (or of a generation's reference image),
/// when it is given as bytes.
pub(crate) async fn dispatch(target: &Target, op: &str, args: &str, data: Option<Vec<u8>>) -> R<String> {
    let a = parse(args)?;
    if let Some(v) = level_op(target, op, &a).await? {
        return Ok(v.to_string());
    }
    if op.starts_with("library_") {
        return Ok(crate::library::op(target, op, &a, data).await?.to_string());
    }
    if op == "start_generation" {
        return Ok(start_generation(target, &a, data).await?.to_string());
    }
    let out = match target {
        Target::Studio(s) => match studio_op(s, op, &a).await? {
            Some(v) => v,
            None => media::studio_op(s, op, &a, data).await?,
        },
        Target::Client(c) => match client_op(c, op, &a).await? {
            Some(v) => v,
            None => media::client_op(c, op, &a, data).await?,
        },
    };
    Ok(out.to_string())
}

/// Queues a generation, with the main character's reference image when
/// one is given (the upload's `data` or `reference_path`): the embedded
/// core stores it as the server does, the client sends the multipart
/// `POST /dramas`. Answers the job.
async fn start_generation(target: &Target, a: &Value, data: Option<Vec<u8>>) -> R<Value> {
    let req = generation_request(a)?;
    let image = reference_image(a, data).await?;
    match target {
        Target::Studio(s) => to_json(&match image {
            Some(i) => s.start_generation_with_reference(req, i.into()).await?,
            None => s.start_generation(req).await?,
        }),
        Target::Client(c) => {
            let r = match image {
                Some(i) => c.generate_drama_with_reference(&req, i).await?,
                None => c.generate_drama(&req).await?,
            };
            to_json(&c.get_job(&r.drama_id, &r.job_id).await?)
        }
    }
}

/// A document operation of the studio; `None` for an operation it does not know.
async fn studio_op(s: &Studio, op: &str, a: &Value) -> R<Option<Value>> {
    let st = &**s.storage();
    let d = || arg::<String>(a, "drama_id");
    Ok(Some(match op {
        "get_drama" => to_json(&st.get_drama(&arg::<String>(a, "id")?).await?.value)?,
        "list_dramas" => {
            let mut opts = ListOptions::new(arg::<Option<usize>>(a, "limit")?.unwrap_or(100));
            opts.cursor = arg(a, "cursor")?;
            to_json(&st.list_dramas(&opts).await?)?
        }
        "import_drama" => {
            let drama: Drama = arg(a, "drama")?;
            st.create_drama(&drama).await?;
            to_json(&drama)?
        }
        "update_drama" => to_json(
            &st.update_drama(&arg::<String>(a, "id")?, patch::<DramaPatch>(a)?, None)
                .await?
                .value,
        )?,
        "delete_drama" => {
            st.delete_drama(&arg::<String>(a, "id")?, None).await?;
            Value::Null
        }
        "start_improvement" => to_json(
            &s.start_improvement(
                &arg::<String>(a, "id")?,
                &arg::<String>(a, "feedback")?,
                arg(a, "new_id")?,
                arg(a, "model")?,
            )
            .await?,
        )?,
        "start_critique" => to_json(&s.start_critique(&arg::<String>(a, "id")?, arg(a, "model")?).await?)?,
        "get_job" => to_json(&s.jobs().get(&d()?, &arg::<String>(a, "job_id")?).await?)?,
        "list_jobs" => to_json(&s.jobs().list(&d()?).await?)?,
        "cancel_job" => to_json(&s.jobs().cancel(&d()?, &arg::<String>(a, "job_id")?).await?)?,
        "wait_job" => {
            let (drama, job) = (d()?, arg::<String>(a, "job_id")?);
            let limit = Duration::from_millis(arg::<Option<u64>>(a, "timeout_ms")?.unwrap_or(u64::MAX / 4));
            match tokio::time::timeout(limit, s.jobs().wait(&drama, &job)).await {
                Ok(j) => to_json(&j?)?,
                Err(_) => to_json(&s.jobs().get(&drama, &job).await?)?,
            }
        }
        _ => return Ok(None),
    }))
}

/// A document operation of the client; `None` for an operation it does not know.
async fn client_op(c: &sfd_client::Client, op: &str, a: &Value) -> R<Option<Value>> {
    let d = || arg::<String>(a, "drama_id");
    Ok(Some(match op {
        "get_drama" => to_json(&c.get_drama(&arg::<String>(a, "id")?).await?.value)?,
        "list_dramas" => {
            let limit = arg::<Option<u32>>(a, "limit")?.unwrap_or(100);
            to_json(
                &c.list_dramas_page(limit, arg::<Option<String>>(a, "cursor")?.as_deref())
                    .await?,
            )?
        }
        "import_drama" => to_json(&c.import_drama(&arg::<Drama>(a, "drama")?).await?.value)?,
        "update_drama" => to_json(
            &c.update_drama(&arg::<String>(a, "id")?, &patch::<DramaPatch>(a)?, None)
                .await?
                .value,
        )?,
        "delete_drama" => {
            c.delete_drama(&arg::<String>(a, "id")?, None).await?;
            Value::Null
        }
        "start_improvement" => {
            let r = c
                .improve_drama(
                    &arg::<String>(a, "id")?,
                    &arg::<String>(a, "feedback")?,
                    arg::<Option<String>>(a, "new_id")?.as_deref(),
                    arg::<Option<String>>(a, "model")?.as_deref(),
                )
                .await?;
            to_json(&c.get_job(&r.improved_id, &r.job_id).await?)?
        }
        "start_critique" => {
            let r = c
                .critic_drama(&arg::<String>(a, "id")?, arg::<Option<String>>(a, "model")?.as_deref())
                .await?;
            to_json(&c.get_job(&r.drama_id, &r.job_id).await?)?
        }
        "get_job" => to_json(&c.get_job(&d()?, &arg::<String>(a, "job_id")?).await?)?,
        "list_jobs" => to_json(&c.list_jobs(&d()?).await?)?,
        "cancel_job" => to_json(&c.cancel_job(&d()?, &arg::<String>(a, "job_id")?).await?)?,
        "wait_job" => {
            let (drama, job) = (d()?, arg::<String>(a, "job_id")?);
            let limit = Duration::from_millis(arg::<Option<u64>>(a, "timeout_ms")?.unwrap_or(u64::MAX / 4));
            match c.wait_for_job(&drama, &job, limit).await {
                Ok(j) => to_json(&j)?,
                Err(sfd_client::Error::Timeout) => to_json(&c.get_job(&drama, &job).await?)?,
                Err(e) => return Err(e.into()),
            }
        }
        _ => return Ok(None),
    }))
}
