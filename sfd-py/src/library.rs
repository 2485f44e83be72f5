//! The asset library operations shared by `Studio` and `Client`:
//! `library_list`, `library_upload`, `library_get`, `library_delete`, and
//! `library_file` (bytes, through `fetch`). Arguments: `project_name`,
//! `user_id` (default `10000`), `asset_type`, `tag`, `asset_id`,
//! `filename`, `metadata`.

use bytes::Bytes;
use serde_json::{Value, json};
use sfd_core::{
    DEFAULT_LIBRARY_USER, LibraryExt, LibraryListing, LibraryProject, LibraryTag, LibraryType, LibraryUpload,
    LibraryUploaded, Object, Studio,
};

use crate::args::{arg, to_json};
use crate::target::{OpError, R, Target};

fn user(a: &Value) -> R<String> {
    Ok(arg::<Option<String>>(a, "user_id")?.unwrap_or_else(|| DEFAULT_LIBRARY_USER.to_string()))
}

fn project(a: &Value) -> R<String> {
    arg(a, "project_name")
}

fn asset_type(a: &Value) -> R<LibraryType> {
    arg(a, "asset_type")
}

fn id(a: &Value) -> R<String> {
    arg(a, "asset_id")
}

/// The upload in the arguments: `asset_type`, `tag`, `filename`, `metadata`, and the bytes.
fn upload(a: &Value, data: Option<Vec<u8>>) -> R<LibraryUpload> {
    let bytes = data.ok_or_else(|| OpError::Args("a library upload needs the file's bytes".into()))?;
    Ok(LibraryUpload {
        asset_type: asset_type(a)?,
        tag: arg::<LibraryTag>(a, "tag")?,
        filename: arg(a, "filename")?,
        bytes: Bytes::from(bytes),
        metadata: arg::<Option<Object>>(a, "metadata")?.unwrap_or_default(),
    })
}

/// Runs library operation `op` (one whose name starts `library_`).
pub(crate) async fn op(target: &Target, op: &str, a: &Value, data: Option<Vec<u8>>) -> R<Value> {
    match target {
        Target::Studio(s) => studio_op(s, op, a, data).await,
        Target::Client(c) => client_op(c, op, a, data).await,
    }
}

fn unknown(op: &str) -> OpError {
    OpError::Args(format!("unknown operation '{op}'"))
}

async fn studio_op(s: &Studio, op: &str, a: &Value, data: Option<Vec<u8>>) -> R<Value> {
    let st = &**s.storage();
    let p = LibraryProject::new(&user(a)?, &project(a)?)?;
    Ok(match op {
        "library_list" => {
            let assets = st.list_library(&p, arg(a, "asset_type")?, arg(a, "tag")?).await?;
            to_json(&LibraryListing {
                total: assets.len(),
                assets,
                user_id: user(a)?,
                project_name: project(a)?,
            })?
        }
        "library_upload" => {
            let saved = st
                .upload_library(&p, upload(a, data)?, s.render_config().public_url())
                .await?;
            to_json(&LibraryUploaded::from(&saved))?
        }
        "library_get" => to_json(&st.library_asset(&p, asset_type(a)?, &id(a)?).await?)?,
        "library_delete" => {
            st.delete_library(&p, asset_type(a)?, &id(a)?).await?;
            json!({"success": true, "message": "Asset deleted successfully"})
        }
        other => return Err(unknown(other)),
    })
}

async fn client_op(c: &sfd_client::Client, op: &str, a: &Value, data: Option<Vec<u8>>) -> R<Value> {
    let project = project(a)?;
    let lib = c.library(&project).for_user(&user(a)?);
    Ok(match op {
        "library_list" => to_json(&lib.list(arg(a, "asset_type")?, arg(a, "tag")?).await?)?,
        "library_upload" => {
            let u = upload(a, data)?;
            let name = u.filename.unwrap_or_else(|| "upload".into());
            to_json(
                &lib.upload(u.asset_type, u.tag, &name, u.bytes, Some(&u.metadata))
                    .await?,
            )?
        }
        "library_get" => to_json(&lib.get(asset_type(a)?, &id(a)?).await?)?,
        "library_delete" => {
            lib.delete(asset_type(a)?, &id(a)?).await?;
            json!({"success": true, "message": "Asset deleted successfully"})
        }
        other => return Err(unknown(other)),
    })
}

/// `library_file`: a library asset's bytes.
pub(crate) async fn fetch(target: &Target, a: &Value) -> R<Vec<u8>> {
    let (t, asset_id) = (asset_type(a)?, id(a)?);
    Ok(match target {
        Target::Studio(s) => {
            let p = LibraryProject::new(&user(a)?, &project(a)?)?;
            s.storage().read_library(&p, t, &asset_id).await?.1.to_vec()
        }
        Target::Client(c) => {
            let project = project(a)?;
            c.library(&project)
                .for_user(&user(a)?)
                .file(t, &asset_id)
                .await?
                .to_vec()
        }
    })
}
