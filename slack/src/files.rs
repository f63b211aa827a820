//! Files a reply carries (`mydata.json`, an `.ics`, `members.csv`, `stats.png`) sent as Slack
//! files, not pasted as text: `files.getUploadURLExternal`, the bytes POSTed to the upload URL,
//! then `files.completeUploadExternal` into the conversation (scope `files:write`;
//! `files.upload` is retired for new apps).

use bot_core::reply::Attachment;
use serde_json::json;

use crate::api::{ApiError, SlackApi};

/// Upload `file` and share it in `channel` (a conversation id).
pub async fn share(
    api: &SlackApi,
    token: &str,
    channel: &str,
    file: &Attachment,
) -> Result<(), ApiError> {
    let bytes = file.bytes();
    let ticket = api
        .post(
            token,
            "files.getUploadURLExternal",
            &json!({ "filename": file.filename, "length": bytes.len() }),
        )
        .await?;
    let (Some(url), Some(id)) = (ticket["upload_url"].as_str(), ticket["file_id"].as_str()) else {
        return Err(ApiError::Invalid("no upload_url or file_id".into()));
    };
    api.upload(url, &file.content_type, bytes).await?;
    api.post(
        token,
        "files.completeUploadExternal",
        &json!({
            "files": [{ "id": id, "title": file.filename }],
            "channel_id": channel,
        }),
    )
    .await?;
    Ok(())
}
