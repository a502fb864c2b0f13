//! Microsoft Graph, for SENDING where Exchange Online's SMTP AUTH is switched off (issue 27).
//!
//! Exchange Online can refuse SMTP client submission for a whole organisation or one mailbox
//! (`535 5.7.139 … SmtpClientAuthentication is disabled …`, `5.7.57`), and many organisations leave
//! it off. Microsoft Graph is Microsoft's interface for mail programs and is not gated by that
//! switch. Tayori sends the same MIME message through it, never twice:
//!
//! 1. `POST /me/messages` with the MIME (base64, `Content-Type: text/plain`) and
//!    `Prefer: IdType="ImmutableId"` creates a draft whose id survives moves; the outbox records
//!    that id before anything else happens;
//! 2. `POST /me/messages/{id}/send` answers `202 Accepted` and completes later; Exchange files the
//!    Sent copy itself (Tayori appends none);
//! 3. the message is confirmed by its `internetMessageId` in Sent Items. After a crash, the draft
//!    and Sent Items decide together (see `crate::outbox::worker`).
//!
//! Shared mailboxes go through `/users/{address}/…` with the `.Shared` permissions.
//!
//! Throttling is obeyed: a `429` waits its `Retry-After` (up to [`MAX_RETRY_AFTER`]) and tries
//! again, at most [`MAX_THROTTLED`] times; a longer wait is handed back to the outbox's schedule.
//! A refused token (`401`) is refreshed once. The access token is Graph's own: at Microsoft each
//! access token is for one resource, and the account's one refresh token redeems it
//! ([`crate::auth::tokens::TokenManager::resource_token`]).

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use thiserror::Error;

use crate::auth::AuthError;
use crate::auth::tokens::TokenManager;
use crate::net::http::{Http, read_capped, root_cause};
use crate::redact::{SERVER_TEXT_CHARS, server_text};

/// Microsoft Graph's host, and the API version Tayori speaks.
pub const GRAPH_HOST: &str = "graph.microsoft.com";
const GRAPH_BASE: &str = "https://graph.microsoft.com/v1.0";

/// The delegated permissions sending needs: creating the draft needs `Mail.ReadWrite` (Graph's
/// "Create message"), sending it `Mail.Send`, finding it in Sent Items a read permission
/// (`Mail.ReadWrite` covers it).
pub const SEND_SCOPES: [&str; 2] = [
    "https://graph.microsoft.com/Mail.ReadWrite",
    "https://graph.microsoft.com/Mail.Send",
];
/// The same for a shared mailbox (`/users/{shared}/…`).
pub const SHARED_SEND_SCOPES: [&str; 2] = [
    "https://graph.microsoft.com/Mail.ReadWrite.Shared",
    "https://graph.microsoft.com/Mail.Send.Shared",
];

/// The delegated permission reading needs: folders, messages and their MIME, and the changes a
/// mail program makes (read, flag, move, delete) — Graph's `Mail.ReadWrite`.
pub const READ_SCOPES: [&str; 1] = ["https://graph.microsoft.com/Mail.ReadWrite"];
/// The same for a shared mailbox.
pub const SHARED_READ_SCOPES: [&str; 1] = ["https://graph.microsoft.com/Mail.ReadWrite.Shared"];
/// Messages asked for per page of a delta query (`Prefer: odata.maxpagesize`): bounded, so one
/// page's work is small and committed before the next is asked for.
pub const DELTA_PAGE: usize = 50;
/// The largest message read whole from `$value` (Exchange Online's own limit is 150 MB).
pub const MIME_LIMIT: usize = 160 * 1024 * 1024;
/// Child folder levels followed at most (a loop in an answer ends there).
const MAX_FOLDER_DEPTH: usize = 16;

/// Exchange's size of a message, the MAPI property `PidTagMessageSize` (0x0E08), as Graph names an
/// extended property ("singleValueLegacyExtendedProperty": `{type} {proptag}`).
const MESSAGE_SIZE_PROPERTY: &str = "Integer 0x0E08";

/// Whether two extended-property ids name the same property: Graph answers with its own spelling
/// (`Integer 0xe08`), the type's case and the tag's hex digits and leading zeros aside.
fn same_property(a: &str, b: &str) -> bool {
    let parts = |id: &str| {
        let (kind, tag) = id.trim().split_once(' ')?;
        let tag = tag
            .trim()
            .strip_prefix("0x")
            .or(tag.trim().strip_prefix("0X"))?;
        Some((
            kind.to_ascii_lowercase(),
            u32::from_str_radix(tag, 16).ok()?,
        ))
    };
    matches!((parts(a), parts(b)), (Some(x), Some(y)) if x == y)
}

/// The longest `Retry-After` waited for inside one attempt; longer ones go back to the outbox.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// How many `429`s in a row one request waits out.
pub const MAX_THROTTLED: usize = 5;
/// The longest answer read (a page of message headers is a few kB).
const ANSWER_LIMIT: usize = 4 * 1024 * 1024;
/// Pages of a lookup followed at most (a lookup by internetMessageId finds one or two).
const MAX_PAGES: usize = 10;

#[derive(Debug, Error)]
pub enum GraphError {
    /// Graph asks to wait longer than Tayori waits inside one attempt.
    #[error("Microsoft 365 asked Tayori to wait {} s (throttling)", .0.as_secs())]
    Throttled(Duration),
    /// The permission is missing (`403 ErrorAccessDenied`) or was never consented.
    #[error(
        "Microsoft 365 refused access ({code}): Tayori needs permission to send through Microsoft 365 for this mailbox: {message}"
    )]
    Denied { code: String, message: String },
    /// The token was refused even after a refresh (`401`).
    #[error("Microsoft 365 refused the sign-in ({code}): {message}")]
    SignIn { code: String, message: String },
    /// Graph refused the request itself (another 4xx).
    #[error("Microsoft 365 refused the message ({status} {code}): {message}")]
    Refused {
        status: u16,
        code: String,
        message: String,
    },
    /// The item is not there (`404 ErrorItemNotFound`).
    #[error("Microsoft 365 has no such item")]
    NotFound,
    /// A delta link Graph no longer knows (`410 SyncStateNotFound`): the folder is listed anew.
    #[error("Microsoft 365 no longer knows where the last sync of this folder stopped")]
    SyncStateGone,
    /// Network trouble, a `5xx`, an answer Tayori cannot read: try again later.
    #[error("Microsoft 365 could not be reached or did not answer: {0}")]
    Transient(String),
    #[error(transparent)]
    Auth(#[from] AuthError),
}

impl GraphError {
    /// Whether trying again later by itself can help.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            GraphError::Throttled(_)
                | GraphError::Transient(_)
                | GraphError::Auth(AuthError::Network(_) | AuthError::Keyring(_))
        )
    }
}

/// One mailbox's Graph, with the account's tokens.
pub struct Graph {
    http: Http,
    tokens: Arc<TokenManager>,
    scopes: Vec<String>,
    /// `me`, or `users/{address}` for a shared mailbox.
    mailbox: String,
    base: String,
}

struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Graph {
    /// Graph for the signed-in person's own mailbox, or for `shared` (a shared mailbox the person
    /// has Full Access and Send As on).
    pub fn new(http: Http, tokens: Arc<TokenManager>, shared: Option<&str>) -> Graph {
        let (scopes, mailbox) = match shared {
            Some(address) => (
                &SHARED_SEND_SCOPES,
                format!("users/{}", urlencoding(address)),
            ),
            None => (&SEND_SCOPES, "me".to_owned()),
        };
        let mut scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        scopes.push("offline_access".into());
        Graph {
            http,
            tokens,
            scopes,
            mailbox,
            base: GRAPH_BASE.to_owned(),
        }
    }

    /// Graph for READING the signed-in person's own mailbox, or `shared`.
    pub fn reader(http: Http, tokens: Arc<TokenManager>, shared: Option<&str>) -> Graph {
        let mut graph = Graph::new(http, tokens, shared);
        let scopes: &[&str] = if shared.is_some() {
            &SHARED_READ_SCOPES
        } else {
            &READ_SCOPES
        };
        graph.scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        graph.scopes.push("offline_access".into());
        graph
    }

    /// The scopes this Graph's token is asked for.
    pub fn scopes(&self) -> &[String] {
        &self.scopes
    }

    async fn token(&self) -> Result<crate::redact::Secret, GraphError> {
        Ok(self.tokens.resource_token(GRAPH_HOST, &self.scopes).await?)
    }

    /// One request, with the token; a refused token refreshed once, throttling waited out.
    async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, GraphError> {
        let body = body.map(|b| ("text/plain", b));
        self.call_with(method, url, body, None, ANSWER_LIMIT).await
    }

    /// [`Graph::call`] with the body's content type, a further preference (`Prefer:
    /// odata.maxpagesize=…`) and the longest answer read.
    async fn call_with(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<(&str, Vec<u8>)>,
        prefer: Option<&str>,
        limit: usize,
    ) -> Result<Answer, GraphError> {
        // The token goes only to Graph: a link handed over by an answer must not carry it away.
        if url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .as_deref()
            != Some(GRAPH_HOST)
        {
            return Err(GraphError::Transient(
                "a link pointed away from Microsoft Graph".into(),
            ));
        }
        let mut token = self.token().await?;
        let mut refreshed = false;
        let mut throttled = 0;
        loop {
            let client = self.http.client_for_url(url).await;
            let preference = match prefer {
                Some(more) => format!("IdType=\"ImmutableId\", {more}"),
                None => "IdType=\"ImmutableId\"".to_owned(),
            };
            let mut request = client
                .request(method.clone(), url)
                .bearer_auth(token.expose())
                .header("Prefer", preference);
            if let Some((content_type, body)) = &body {
                request = request
                    .header(reqwest::header::CONTENT_TYPE, *content_type)
                    .body(body.clone());
            } else if method == reqwest::Method::POST {
                request = request.header(reqwest::header::CONTENT_LENGTH, "0");
            }
            let response = request
                .send()
                .await
                .map_err(|e| GraphError::Transient(root_cause(&e)))?;
            let status = response.status().as_u16();
            let retry_after = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = read_capped(response, limit)
                .await
                .map_err(GraphError::Transient)?;
            match status {
                401 if !refreshed => {
                    tracing::info!(
                        "Microsoft Graph refused the token; refreshing once and retrying"
                    );
                    token = self
                        .tokens
                        .resource_token_after_rejection(GRAPH_HOST, &self.scopes, &token)
                        .await?;
                    refreshed = true;
                }
                429 | 503 if throttled < MAX_THROTTLED => {
                    // "Wait the number of seconds specified in the Retry-After header" (Graph's
                    // throttling guidance); without one, a short pause.
                    let wait = retry_after.unwrap_or(Duration::from_secs(2));
                    if wait > MAX_RETRY_AFTER {
                        return Err(GraphError::Throttled(wait));
                    }
                    tracing::info!(
                        wait_s = wait.as_secs(),
                        status,
                        "Microsoft Graph is throttling; waiting as asked"
                    );
                    tokio::time::sleep(wait).await;
                    throttled += 1;
                }
                _ => return Ok(Answer { status, body }),
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/{}{}", self.base, self.mailbox, path)
    }

    /// Creates a draft from the message as built (`raw`): its id (an immutable id).
    pub async fn create_draft(&self, raw: &[u8]) -> Result<String, GraphError> {
        let body = base64::engine::general_purpose::STANDARD
            .encode(raw)
            .into_bytes();
        let answer = self
            .call(reqwest::Method::POST, &self.url("/messages"), Some(body))
            .await?;
        if answer.status != 201 && answer.status != 200 {
            return Err(refusal(&answer));
        }
        let json: serde_json::Value = serde_json::from_slice(&answer.body).map_err(|e| {
            GraphError::Transient(format!("the answer to the draft was not JSON: {e}"))
        })?;
        json["id"]
            .as_str()
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| GraphError::Transient("the draft came back without an id".into()))
    }

    /// Sends the draft `id`: Graph answers `202 Accepted` and completes later.
    pub async fn send_draft(&self, id: &str) -> Result<(), GraphError> {
        let url = self.url(&format!("/messages/{}/send", urlencoding(id)));
        let answer = self.call(reqwest::Method::POST, &url, None).await?;
        if answer.status == 202 || answer.status == 200 {
            return Ok(());
        }
        Err(refusal(&answer))
    }

    /// Whether the item `id` exists.
    pub async fn exists(&self, id: &str) -> Result<bool, GraphError> {
        let url = self.url(&format!("/messages/{}?$select=id,isDraft", urlencoding(id)));
        let answer = self.call(reqwest::Method::GET, &url, None).await?;
        match answer.status {
            200 => Ok(true),
            404 => Ok(false),
            _ => Err(refusal(&answer)),
        }
    }

    /// The ids of the messages in the well-known folder `folder` (`sentitems`, `drafts`) whose
    /// internetMessageId is `message_id`, following `@odata.nextLink`.
    pub async fn find(&self, folder: &str, message_id: &str) -> Result<Vec<String>, GraphError> {
        let filter = format!("internetMessageId eq '{}'", message_id.replace('\'', "''"));
        let mut url = url::Url::parse(&self.url(&format!("/mailFolders/{folder}/messages")))
            .map_err(|e| GraphError::Transient(e.to_string()))?;
        url.query_pairs_mut()
            .append_pair("$filter", &filter)
            .append_pair("$select", "id,internetMessageId");
        let mut next = Some(url.to_string());
        let mut ids = Vec::new();
        let mut pages = 0;
        while let Some(page) = next.take() {
            pages += 1;
            if pages > MAX_PAGES {
                break;
            }
            // A next link must stay on Graph: it carries the token.
            if url::Url::parse(&page)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .as_deref()
                != Some(GRAPH_HOST)
            {
                return Err(GraphError::Transient(
                    "a next-page link pointed away from Microsoft Graph".into(),
                ));
            }
            let answer = self.call(reqwest::Method::GET, &page, None).await?;
            if answer.status != 200 {
                return Err(refusal(&answer));
            }
            let json: serde_json::Value = serde_json::from_slice(&answer.body)
                .map_err(|e| GraphError::Transient(format!("a message list was not JSON: {e}")))?;
            for item in json["value"].as_array().into_iter().flatten() {
                if item["internetMessageId"].as_str() == Some(message_id)
                    && let Some(id) = item["id"].as_str()
                {
                    ids.push(id.to_owned());
                }
            }
            next = json["@odata.nextLink"].as_str().map(str::to_owned);
        }
        Ok(ids)
    }
}

/// A mail folder as Graph lists it; `path` is its display name under its parents' (`/`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailFolder {
    pub id: String,
    pub path: String,
}

/// One entry of a delta page: a message added or changed, or one that left the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeltaItem {
    Changed {
        id: String,
        is_read: bool,
        flagged: bool,
        draft: bool,
        /// Seconds since 1970 of the message's date, where Graph gave one.
        dated: Option<i64>,
    },
    Removed {
        id: String,
    },
}

/// A page of a delta query, with the link to the next page or the delta link that ends a round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaPage {
    pub items: Vec<DeltaItem>,
    pub next_link: Option<String>,
    pub delta_link: Option<String>,
}

impl Graph {
    async fn get_json(
        &self,
        url: &str,
        prefer: Option<&str>,
    ) -> Result<serde_json::Value, GraphError> {
        let answer = self
            .call_with(reqwest::Method::GET, url, None, prefer, ANSWER_LIMIT)
            .await?;
        if answer.status != 200 {
            return Err(refusal(&answer));
        }
        serde_json::from_slice(&answer.body)
            .map_err(|e| GraphError::Transient(format!("an answer was not JSON: {e}")))
    }

    /// Every mail folder, following `@odata.nextLink` and child folders.
    pub async fn folders(&self) -> Result<Vec<MailFolder>, GraphError> {
        let mut out = Vec::new();
        let mut parents: Vec<(String, String, usize)> = Vec::new();
        let top = self.url("/mailFolders?$top=100");
        self.folder_pages(&top, "", 0, &mut out, &mut parents)
            .await?;
        while let Some((id, path, depth)) = parents.pop() {
            let url = self.url(&format!(
                "/mailFolders/{}/childFolders?$top=100",
                urlencoding(&id)
            ));
            self.folder_pages(&url, &path, depth, &mut out, &mut parents)
                .await?;
        }
        Ok(out)
    }

    async fn folder_pages(
        &self,
        first: &str,
        parent: &str,
        depth: usize,
        out: &mut Vec<MailFolder>,
        parents: &mut Vec<(String, String, usize)>,
    ) -> Result<(), GraphError> {
        let mut next = Some(first.to_owned());
        let mut pages = 0;
        while let Some(url) = next.take() {
            pages += 1;
            if pages > 1000 {
                return Err(GraphError::Transient("the folder list did not end".into()));
            }
            let json = self.get_json(&url, None).await?;
            for folder in json["value"].as_array().into_iter().flatten() {
                let (Some(id), Some(name)) =
                    (folder["id"].as_str(), folder["displayName"].as_str())
                else {
                    continue;
                };
                // A "/" in a display name would read as a level: it is shown as a look-alike.
                let name = server_text(&name.replace('/', "\u{2215}"), 200);
                let path = if parent.is_empty() {
                    name
                } else {
                    format!("{parent}/{name}")
                };
                if folder["childFolderCount"].as_u64().unwrap_or(0) > 0 && depth < MAX_FOLDER_DEPTH
                {
                    parents.push((id.to_owned(), path.clone(), depth + 1));
                }
                out.push(MailFolder {
                    id: id.to_owned(),
                    path,
                });
            }
            next = json["@odata.nextLink"].as_str().map(str::to_owned);
        }
        Ok(())
    }

    /// The id of a well-known folder (`inbox`, `sentitems`, `drafts`, `deleteditems`, `archive`,
    /// `junkemail`), or `None` where the mailbox has none.
    pub async fn well_known(&self, name: &str) -> Result<Option<String>, GraphError> {
        let url = self.url(&format!("/mailFolders/{name}?$select=id"));
        match self.get_json(&url, None).await {
            Ok(json) => Ok(json["id"].as_str().map(str::to_owned)),
            Err(GraphError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The first page of a full delta listing of the folder `folder_id`.
    pub fn delta_start(&self, folder_id: &str) -> String {
        self.url(&format!(
            "/mailFolders/{}/messages/delta?$select=isRead,flag,isDraft,sentDateTime,receivedDateTime",
            urlencoding(folder_id)
        ))
    }

    /// One page of a delta query (`link`: [`Graph::delta_start`], or a next or delta link).
    pub async fn delta_page(&self, link: &str) -> Result<DeltaPage, GraphError> {
        let prefer = format!("odata.maxpagesize={DELTA_PAGE}");
        let json = self.get_json(link, Some(&prefer)).await?;
        let mut items = Vec::new();
        for item in json["value"].as_array().into_iter().flatten() {
            let Some(id) = item["id"].as_str().filter(|id| !id.is_empty()) else {
                continue;
            };
            if !item["@removed"].is_null() {
                items.push(DeltaItem::Removed { id: id.to_owned() });
            } else {
                items.push(DeltaItem::Changed {
                    id: id.to_owned(),
                    is_read: item["isRead"].as_bool().unwrap_or(false),
                    flagged: item["flag"]["flagStatus"].as_str() == Some("flagged"),
                    draft: item["isDraft"].as_bool().unwrap_or(false),
                    // The sent time (the Date header's), as the IMAP engine dates a message;
                    // a draft has none and is dated by its arrival.
                    dated: item["sentDateTime"]
                        .as_str()
                        .or(item["receivedDateTime"].as_str())
                        .and_then(utc_seconds),
                });
            }
        }
        let next_link = json["@odata.nextLink"].as_str().map(str::to_owned);
        let delta_link = json["@odata.deltaLink"].as_str().map(str::to_owned);
        if next_link.is_none() && delta_link.is_none() {
            return Err(GraphError::Transient(
                "a delta page had neither a next link nor a delta link".into(),
            ));
        }
        Ok(DeltaPage {
            items,
            next_link,
            delta_link,
        })
    }

    /// The message's header, without its body: Graph's `internetMessageHeaders` (given only when
    /// `$select`ed) written out as header lines, for a message outside the body window; and its
    /// size as Exchange records it (`PidTagMessageSize`, MAPI property 0x0E08, through
    /// `singleValueExtendedProperties`: the message resource itself has no size), for the list.
    pub async fn header(&self, id: &str) -> Result<(Vec<u8>, Option<u32>), GraphError> {
        let url = self.url(&format!(
            "/messages/{}?$select=internetMessageHeaders&$expand={}",
            urlencoding(id),
            urlencoding(&format!(
                "singleValueExtendedProperties($filter=id eq '{MESSAGE_SIZE_PROPERTY}')"
            ))
        ));
        let json = self.get_json(&url, None).await?;
        let size = json["singleValueExtendedProperties"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| {
                p["id"]
                    .as_str()
                    .is_some_and(|id| same_property(id, MESSAGE_SIZE_PROPERTY))
            })
            .and_then(|p| p["value"].as_str())
            .and_then(|v| v.trim().parse::<u32>().ok());
        let mut header = Vec::new();
        for field in json["internetMessageHeaders"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let (Some(name), Some(value)) = (field["name"].as_str(), field["value"].as_str())
            else {
                continue;
            };
            // A name or value breaking the header's lines would forge fields: left out.
            if name.is_empty()
                || name.contains([':', '\r', '\n', ' '])
                || value.contains(['\r', '\n'])
            {
                continue;
            }
            header.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
        }
        header.extend_from_slice(b"\r\n");
        Ok((header, size))
    }

    /// The message as MIME, byte for byte (`/messages/{id}/$value`).
    pub async fn mime(&self, id: &str) -> Result<Vec<u8>, GraphError> {
        let url = self.url(&format!("/messages/{}/$value", urlencoding(id)));
        let answer = self
            .call_with(reqwest::Method::GET, &url, None, None, MIME_LIMIT)
            .await?;
        if answer.status != 200 {
            return Err(refusal(&answer));
        }
        Ok(answer.body)
    }

    /// Changes a message's read state and flag (`PATCH /messages/{id}`).
    pub async fn update(
        &self,
        id: &str,
        is_read: Option<bool>,
        flagged: Option<bool>,
    ) -> Result<(), GraphError> {
        let mut body = serde_json::Map::new();
        if let Some(read) = is_read {
            body.insert("isRead".into(), read.into());
        }
        if let Some(flagged) = flagged {
            let status = if flagged { "flagged" } else { "notFlagged" };
            body.insert("flag".into(), serde_json::json!({ "flagStatus": status }));
        }
        if body.is_empty() {
            return Ok(());
        }
        let url = self.url(&format!("/messages/{}", urlencoding(id)));
        let payload = serde_json::Value::Object(body).to_string().into_bytes();
        let answer = self
            .call_with(
                reqwest::Method::PATCH,
                &url,
                Some(("application/json", payload)),
                None,
                ANSWER_LIMIT,
            )
            .await?;
        if answer.status == 200 {
            Ok(())
        } else {
            Err(refusal(&answer))
        }
    }

    /// Moves a message to the folder `destination` (a folder id or a well-known name).
    pub async fn move_message(&self, id: &str, destination: &str) -> Result<(), GraphError> {
        let url = self.url(&format!("/messages/{}/move", urlencoding(id)));
        let payload = serde_json::json!({ "destinationId": destination })
            .to_string()
            .into_bytes();
        let answer = self
            .call_with(
                reqwest::Method::POST,
                &url,
                Some(("application/json", payload)),
                None,
                ANSWER_LIMIT,
            )
            .await?;
        if answer.status == 201 || answer.status == 200 {
            Ok(())
        } else {
            Err(refusal(&answer))
        }
    }

    /// Deletes a message (`DELETE /messages/{id}`).
    pub async fn delete(&self, id: &str) -> Result<(), GraphError> {
        let url = self.url(&format!("/messages/{}", urlencoding(id)));
        let answer = self.call(reqwest::Method::DELETE, &url, None).await?;
        if answer.status == 204 || answer.status == 200 {
            Ok(())
        } else {
            Err(refusal(&answer))
        }
    }
}

/// A non-success answer as an error, in Graph's own words (bounded, control characters out).
fn refusal(answer: &Answer) -> GraphError {
    let json: serde_json::Value = serde_json::from_slice(&answer.body).unwrap_or_default();
    let code = server_text(json["error"]["code"].as_str().unwrap_or("unknown"), 80);
    let message = server_text(
        json["error"]["message"].as_str().unwrap_or(""),
        SERVER_TEXT_CHARS,
    );
    match answer.status {
        401 => GraphError::SignIn { code, message },
        403 if code == "ErrorAccessDenied" => GraphError::Denied { code, message },
        404 => GraphError::NotFound,
        410 => GraphError::SyncStateGone,
        408 | 429 | 500..=599 => {
            GraphError::Transient(format!("{} {code}: {message}", answer.status))
        }
        status => GraphError::Refused {
            status,
            code,
            message,
        },
    }
}

/// A path segment, percent-encoded (ids are base64url, addresses have `@`).
fn urlencoding(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_property_ids_match_whatever_graphs_spelling() {
        assert!(same_property("Integer 0xe08", MESSAGE_SIZE_PROPERTY));
        assert!(same_property("integer 0x0E08", "Integer 0xE08"));
        assert!(!same_property("Integer 0xe07", MESSAGE_SIZE_PROPERTY));
        assert!(!same_property("String 0xe08", MESSAGE_SIZE_PROPERTY));
        assert!(!same_property("Integer e08", MESSAGE_SIZE_PROPERTY));
        assert!(!same_property("", MESSAGE_SIZE_PROPERTY));
    }

    fn answer(status: u16, body: &str) -> Answer {
        Answer {
            status,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn graph_errors_are_sorted_by_what_happens_next() {
        let denied = refusal(&answer(
            403,
            r#"{"error":{"code":"ErrorAccessDenied","message":"Access is denied. Check credentials and try again."}}"#,
        ));
        assert!(matches!(denied, GraphError::Denied { .. }), "{denied:?}");
        assert!(!denied.is_transient());
        let send_as = refusal(&answer(
            403,
            r#"{"error":{"code":"ErrorSendAsDenied","message":"no right"}}"#,
        ));
        assert!(
            matches!(send_as, GraphError::Refused { status: 403, .. }),
            "{send_as:?}"
        );
        assert!(refusal(&answer(503, "")).is_transient());
        assert!(matches!(
            refusal(&answer(404, r#"{"error":{"code":"ErrorItemNotFound"}}"#)),
            GraphError::NotFound
        ));
        let hostile = refusal(&answer(
            400,
            "{\"error\":{\"code\":\"X\",\"message\":\"a\\u001b[2Jb\"}}",
        ));
        assert!(!hostile.to_string().contains('\u{1b}'), "{hostile}");
    }

    #[test]
    fn ids_and_addresses_are_one_path_segment() {
        assert_eq!(urlencoding("info@contoso.test"), "info%40contoso.test");
        assert_eq!(urlencoding("AAk/ALg=="), "AAk%2FALg%3D%3D");
    }
}

/// Seconds since 1970 of Graph's UTC time stamps (`2026-11-02T01:00:00Z`, fractions allowed).
fn utc_seconds(text: &str) -> Option<i64> {
    let text = text.strip_suffix('Z')?;
    let (date, time) = text.split_once('T')?;
    let mut date = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (y, m, d) = (date.next()??, date.next()??, date.next()??);
    let time = time.split('.').next()?;
    let mut time = time.splitn(3, ':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (time.next()??, time.next()??, time.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn graph_time_stamps_are_read_as_utc_seconds() {
        assert_eq!(super::utc_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            super::utc_seconds("2026-11-02T01:00:00Z"),
            Some(1_793_581_200)
        );
        assert_eq!(
            super::utc_seconds("2000-03-01T12:30:15.123Z"),
            Some(951_913_815)
        );
        assert_eq!(super::utc_seconds("2026-11-02T01:00:00"), None);
        assert_eq!(super::utc_seconds("2026-13-02T01:00:00Z"), None);
        assert_eq!(super::utc_seconds("garbage"), None);
    }
}
