//! The composer: From (one of the accounts), To/Cc/Bcc with completion from the people in the
//! store, Subject, the text, attachments picked with the system's file dialog. Send builds the
//! message with `tayori::compose`, puts it in the outbox and lets the outbox's worker send it — the
//! same core calls as `tayori send` — then says what became of it in plain words.

use iced::widget::{
    Id, button, column, container, pick_list, row, rule, text, text_editor, text_input,
};
use iced::{Element, Fill, Task};
use tayori::account::Account;
use tayori::compose::{Attachment, Draft, Mailbox};
use tayori::i18n::{Lang, Text, fill};
use tayori::mailto::MailtoLink;
use tayori::net::Net;
use tayori::outbox::{Outbox, OutboxError, Outcome, Worker};

use crate::ui::context::Context;
use crate::ui::db::Db;
use crate::ui::problem::Problem;
use crate::ui::style;

pub const TO_ID: &str = "composer-to";
pub const CC_ID: &str = "composer-cc";
pub const BCC_ID: &str = "composer-bcc";
pub const SUBJECT_ID: &str = "composer-subject";
pub const BODY_ID: &str = "composer-body";
/// A person the store knows: display name (if any) and address.
pub type Known = (Option<String>, String);

/// Suggestions offered under an address field.
const SUGGESTIONS: usize = 6;

/// Which address field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    To,
    Cc,
    Bcc,
}

/// Where the message is.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    Editing,
    /// Refused before anything was queued (a bad address, a line break in the subject).
    Refused(String),
    Sending,
    /// Sent; `told`: the accounts whose person learns now, once, that their organisation turned
    /// SMTP sending off and Tayori sends through Microsoft 365.
    Sent {
        told: Vec<String>,
    },
    /// In the outbox, to be retried (offline, server busy), with the reason.
    Queued(String),
    /// The server (or the sign-in) refused it; it stays in the outbox.
    Failed(String),
}

pub struct State {
    context: Context,
    accounts: Vec<Account>,
    from: Option<String>,
    pub to: String,
    pub cc: String,
    pub bcc: String,
    pub subject: String,
    pub body: text_editor::Content,
    pub attachments: Vec<Attachment>,
    in_reply_to: Option<String>,
    references: Vec<String>,
    pub status: Status,
    attach_problem: Option<String>,
    db: Option<Db>,
    /// The field being typed in and what the store offers for it.
    suggestions: Option<(Field, Vec<Known>)>,
    /// The local draft (in the outbox file) that typing keeps up to date, once saved.
    draft_id: Option<i64>,
    /// Counts edits, so that only the last of a burst of keystrokes saves the draft.
    edits: u64,
    /// What the last "Save draft" did, shown beside the buttons.
    pub draft_note: Option<Result<(), String>>,
}

/// How long typing must pause before the draft is saved locally.
const AUTOSAVE_AFTER: std::time::Duration = std::time::Duration::from_millis(800);

#[derive(Debug, Clone)]
pub enum Message {
    From(String),
    Address(Field, String),
    Suggested(Field, String, Result<Vec<Known>, Problem>),
    Complete(Field, String),
    Subject(String),
    Edit(text_editor::Action),
    Attach,
    Attached(Result<Vec<Attachment>, String>),
    Remove(usize),
    Send,
    Done(Result<Status, String>),
    Close,
    /// Typing paused after edit number N: save the draft if nothing was typed since.
    Autosave(u64),
    /// "Save draft": locally, then into the account's Drafts folder on the server.
    SaveDraft,
    SavedOnServer(Result<i64, String>),
    DraftSaved(Result<i64, String>),
}

/// What the composer asks of the application.
pub enum Event {
    Close,
}

impl State {
    pub fn new(context: Context, accounts: Vec<Account>, db: Option<Db>) -> Self {
        let from = accounts.first().map(|a| a.email.clone());
        State {
            context,
            accounts,
            from,
            to: String::new(),
            cc: String::new(),
            bcc: String::new(),
            subject: String::new(),
            body: text_editor::Content::new(),
            attachments: Vec::new(),
            in_reply_to: None,
            references: Vec::new(),
            status: Status::Editing,
            attach_problem: None,
            db,
            suggestions: None,
            draft_id: None,
            edits: 0,
            draft_note: None,
        }
    }

    /// Filled from a `mailto:` link (RFC 6068).
    pub fn from_mailto(
        context: Context,
        accounts: Vec<Account>,
        db: Option<Db>,
        link: &MailtoLink,
    ) -> Self {
        let mut state = State::new(context, accounts, db);
        state.to = link.to.join(", ");
        state.cc = link.cc.join(", ");
        state.bcc = link.bcc.join(", ");
        state.subject = link.subject.clone().unwrap_or_default();
        // RFC 6068 bodies carry CRLF line breaks; the editor works in plain line feeds.
        state.body = text_editor::Content::with_text(
            &link
                .body
                .as_deref()
                .unwrap_or_default()
                .replace("\r\n", "\n"),
        );
        state.in_reply_to = link.in_reply_to.clone();
        state
    }

    /// Filled from a draft the core made (a reply or a forward), sent from `account`.
    pub fn from_draft(
        context: Context,
        accounts: Vec<Account>,
        db: Option<Db>,
        account: &str,
        draft: Draft,
    ) -> Self {
        let mut state = State::new(context, accounts, db);
        if state.accounts.iter().any(|a| a.email == account) {
            state.from = Some(account.to_owned());
        }
        let list = |people: &[Mailbox]| {
            people
                .iter()
                .map(Mailbox::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        };
        state.to = list(&draft.to);
        state.cc = list(&draft.cc);
        state.bcc = list(&draft.bcc);
        state.subject = draft.subject;
        state.body = text_editor::Content::with_text(&draft.body);
        state.attachments = draft.attachments;
        state.in_reply_to = draft.in_reply_to;
        state.references = draft.references;
        state
    }

    /// The store to complete addresses from, when it opens after the composer.
    pub fn offer_store(&mut self, db: Db) {
        if self.db.is_none() {
            self.db = Some(db);
        }
    }

    #[cfg(test)]
    pub fn has_store(&self) -> bool {
        self.db.is_some()
    }

    /// Puts the cursor in To.
    pub fn focus() -> Task<Message> {
        iced::widget::operation::focus(Id::new(TO_ID))
    }

    fn field_mut(&mut self, field: Field) -> &mut String {
        match field {
            Field::To => &mut self.to,
            Field::Cc => &mut self.cc,
            Field::Bcc => &mut self.bcc,
        }
    }

    /// The draft the fields describe, checked by the core.
    pub fn draft(&self) -> Result<(Account, Draft), String> {
        let account = self
            .from
            .as_ref()
            .and_then(|from| self.accounts.iter().find(|a| &a.email == from))
            .cloned()
            .ok_or_else(|| "no account".to_owned())?;
        let mut draft = Draft::new(Mailbox::new(
            account.display_name.as_deref(),
            &account.email,
        ));
        for (list, typed) in [
            (&mut draft.to, &self.to),
            (&mut draft.cc, &self.cc),
            (&mut draft.bcc, &self.bcc),
        ] {
            for one in split_addresses(typed) {
                list.push(Mailbox::parse(&one).map_err(|e| e.to_string())?);
            }
        }
        draft.subject = self.subject.clone();
        draft.body = self.body.text();
        draft.attachments = self.attachments.clone();
        draft.in_reply_to = self.in_reply_to.clone();
        draft.references = self.references.clone();
        Ok((account, draft))
    }

    fn send(&mut self) -> Task<Message> {
        if matches!(self.status, Status::Sending | Status::Sent { .. }) {
            return Task::none();
        }
        let (account, draft) = match self.draft() {
            Ok(ok) => ok,
            Err(problem) => {
                self.status = Status::Refused(problem);
                return Task::none();
            }
        };
        // Everything is checked here, before the outbox sees the message (as `tayori send`).
        let built = match draft.build() {
            Ok(built) => built,
            Err(problem) => {
                self.status = Status::Refused(problem.to_string());
                return Task::none();
            }
        };
        self.status = Status::Sending;
        // Sent from the saved draft: the outbox drops the local draft with the same transaction
        // and removes the server copy once the message is out.
        let from_draft = self.draft_id.take();
        let paths = self.context.paths.clone();
        let settings = self.context.settings.clone();
        let subject = draft.subject;
        Task::perform(
            async move {
                let data_dir = paths.data_dir.clone();
                let email = account.email.clone();
                let id = tokio::task::spawn_blocking(move || {
                    Outbox::open_in(&data_dir)?.enqueue(&email, &subject, &built, from_draft)
                })
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
                let net = Net::from_settings(&settings).map_err(|e| e.to_string())?;
                let mut worker = match Worker::acquire(&paths, net.dns, net.http) {
                    Ok(worker) => worker,
                    // Another window or `tayori outbox flush` holds the outbox: it sends it.
                    Err(OutboxError::Busy) => {
                        return Ok(Status::Queued(OutboxError::Busy.to_string()));
                    }
                    Err(e) => return Err(e.to_string()),
                };
                let outcome = worker.send(id).await.map_err(|e| e.to_string())?;
                let told = tayori::account::Accounts::new(&paths)
                    .take_graph_notices()
                    .unwrap_or_default();
                Ok(match outcome {
                    Outcome::Sent { .. } | Outcome::FoundInSent => Status::Sent { told },
                    Outcome::WillRetry { reason, .. } => Status::Queued(reason),
                    Outcome::Failed { reason, .. } => Status::Failed(reason),
                })
            },
            Message::Done,
        )
    }

    /// Something was typed: save the draft once typing pauses.
    fn edited(&mut self) -> Task<Message> {
        self.edits += 1;
        let edit = self.edits;
        // The timer is made inside the future: `update` runs outside the async runtime.
        Task::perform(
            async move { tokio::time::sleep(AUTOSAVE_AFTER).await },
            move |_| Message::Autosave(edit),
        )
    }

    /// Saves the draft into the outbox file (the only copy of what is being written, next to
    /// messages waiting to be sent). A draft with an address still half typed is saved at the next
    /// pause after it is whole.
    fn autosave(&mut self, edit: u64) -> Task<Message> {
        if edit != self.edits || matches!(self.status, Status::Sending | Status::Sent { .. }) {
            return Task::none();
        }
        let Ok((account, draft)) = self.draft() else {
            return Task::none();
        };
        let data_dir = self.context.paths.data_dir.clone();
        let id = self.draft_id;
        Task::perform(
            async move {
                tokio::task::spawn_blocking(move || {
                    Outbox::open_in(&data_dir)?.save_draft(id, &account.email, &draft)
                })
                .await
                .map_err(|e| e.to_string())?
                .map(|(id, _)| id)
                .map_err(|e| e.to_string())
            },
            Message::DraftSaved,
        )
    }

    fn save_on_server(&mut self) -> Task<Message> {
        let (account, draft) = match self.draft() {
            Ok(ok) => ok,
            Err(problem) => {
                self.draft_note = Some(Err(problem));
                return Task::none();
            }
        };
        self.draft_note = None;
        let data_dir = self.context.paths.data_dir.clone();
        let settings = self.context.settings.clone();
        let id = self.draft_id;
        Task::perform(
            async move {
                let text = |e: &dyn std::fmt::Display| e.to_string();
                let email = account.email.clone();
                let (outbox, id) = tokio::task::spawn_blocking(move || {
                    let outbox = Outbox::open_in(&data_dir)?;
                    let (id, _) = outbox.save_draft(id, &email, &draft)?;
                    Ok::<_, OutboxError>((outbox, id))
                })
                .await
                .map_err(|e| text(&e))?
                .map_err(|e| text(&e))?;
                let net = Net::from_settings(&settings).map_err(|e| text(&e))?;
                let credentials = account.credentials(&net.http).await.map_err(|e| text(&e))?;
                tayori::outbox::save_draft_on_server(&outbox, id, &net, &account, &credentials)
                    .await
                    .map_err(|e| text(&e))?;
                Ok(id)
            },
            Message::SavedOnServer,
        )
    }

    fn suggest(&mut self, field: Field) -> Task<Message> {
        let typed = self.field_mut(field).clone();
        let current = split_addresses_raw(&typed)
            .last()
            .map(|s| s.trim().to_owned());
        let Some(current) = current.filter(|c| !c.is_empty()) else {
            self.suggestions = None;
            return Task::none();
        };
        let Some(db) = self.db.clone() else {
            return Task::none();
        };
        let query = current.clone();
        Task::perform(
            async move {
                db.run(move |store| store.known_senders(&query, SUGGESTIONS))
                    .await
            },
            move |found| Message::Suggested(field, current.clone(), found),
        )
    }

    pub fn update(&mut self, message: Message) -> (Task<Message>, Option<Event>) {
        let task = match message {
            Message::From(email) => {
                self.from = Some(email);
                Task::none()
            }
            Message::Address(field, typed) => {
                *self.field_mut(field) = typed;
                Task::batch([self.suggest(field), self.edited()])
            }
            Message::Suggested(field, asked, found) => {
                // Only for what is still being typed.
                let typed = self.field_mut(field).clone();
                let current = split_addresses_raw(&typed)
                    .last()
                    .map(|s| s.trim().to_owned());
                if current.as_deref() == Some(asked.as_str()) {
                    match found {
                        Ok(found) => {
                            let found: Vec<_> = found
                                .into_iter()
                                .filter(|(_, address)| *address != asked.to_lowercase())
                                .collect();
                            self.suggestions = (!found.is_empty()).then_some((field, found));
                        }
                        Err(problem) => {
                            tracing::warn!("address completion failed: {problem}");
                            self.suggestions = None;
                        }
                    }
                }
                Task::none()
            }
            Message::Complete(field, chosen) => {
                let typed = self.field_mut(field).clone();
                let mut parts: Vec<String> = split_addresses_raw(&typed)
                    .into_iter()
                    .map(|s| s.trim().to_owned())
                    .collect();
                parts.pop();
                parts.push(chosen);
                *self.field_mut(field) = format!("{}, ", parts.join(", "));
                self.suggestions = None;
                Task::none()
            }
            Message::Subject(subject) => {
                self.subject = subject;
                self.edited()
            }
            Message::Edit(action) => {
                let changes_text = action.is_edit();
                self.body.perform(action);
                if changes_text {
                    self.edited()
                } else {
                    Task::none()
                }
            }
            Message::Attach => Task::perform(pick_files(), Message::Attached),
            Message::Attached(Ok(files)) => {
                self.attach_problem = None;
                self.attachments.extend(files);
                self.edited()
            }
            Message::Attached(Err(problem)) => {
                self.attach_problem = Some(problem);
                Task::none()
            }
            Message::Remove(index) => {
                if index < self.attachments.len() {
                    self.attachments.remove(index);
                }
                self.edited()
            }
            Message::Send => self.send(),
            Message::Done(result) => {
                let queued = result.is_ok();
                self.status = match result {
                    Ok(status) => status,
                    // Not queued at all (the outbox could not be opened): nothing was lost but the
                    // window, which stays open with the message.
                    Err(problem) => Status::Refused(problem),
                };
                // The outbox holds the message now (sent, waiting or refused with its reason):
                // the local draft has done its job.
                match (queued, self.draft_id.take()) {
                    (true, Some(id)) => {
                        let data_dir = self.context.paths.data_dir.clone();
                        Task::perform(
                            async move {
                                tokio::task::spawn_blocking(move || {
                                    Outbox::open_in(&data_dir)?.delete_draft(id)
                                })
                                .await
                                .map_err(|e| e.to_string())?
                                .map_err(|e| e.to_string())
                            },
                            |deleted| {
                                if let Err(problem) = deleted {
                                    tracing::warn!(
                                        "the local draft could not be removed: {problem}"
                                    );
                                }
                                Message::DraftSaved(Err(String::new()))
                            },
                        )
                    }
                    (_, kept) => {
                        self.draft_id = kept;
                        Task::none()
                    }
                }
            }
            Message::Autosave(edit) => self.autosave(edit),
            Message::SaveDraft => self.save_on_server(),
            Message::SavedOnServer(result) => {
                self.draft_note = Some(result.map(|id| {
                    self.draft_id = Some(id);
                }));
                Task::none()
            }
            Message::DraftSaved(Ok(id)) => {
                self.draft_id = Some(id);
                Task::none()
            }
            Message::DraftSaved(Err(problem)) => {
                if !problem.is_empty() {
                    tracing::warn!("the draft could not be saved locally: {problem}");
                }
                Task::none()
            }
            Message::Close => return (Task::none(), Some(Event::Close)),
        };
        (task, None)
    }

    pub fn view(&self, lang: Lang) -> Element<'_, Message> {
        let label = |key: Text| {
            text(lang.text(key))
                .size(style::SMALL)
                .style(style::muted)
                .width(72)
        };
        let emails: Vec<String> = self.accounts.iter().map(|a| a.email.clone()).collect();
        let sending = matches!(self.status, Status::Sending | Status::Sent { .. });
        let mut send = button(text(lang.text(Text::ComposeSend)))
            .style(style::primary_button)
            .padding([6, 18]);
        if !sending && self.from.is_some() {
            send = send.on_press(Message::Send);
        }
        let top = row![
            text(lang.text(Text::NewMessage))
                .size(20)
                .font(style::bold())
                .width(Fill),
            button(text(lang.text(Text::ComposeAttach)).size(style::SMALL))
                .style(style::outline_button)
                .padding([6, 12])
                .on_press(Message::Attach),
            button(text(lang.text(Text::ComposeClose)).size(style::SMALL))
                .style(style::outline_button)
                .padding([6, 12])
                .on_press(Message::Close),
            button(text(lang.text(Text::ComposeSaveDraft)).size(style::SMALL))
                .style(style::outline_button)
                .padding([6, 12])
                .on_press(Message::SaveDraft),
            send,
        ]
        .spacing(8)
        .align_y(iced::Center);

        let mut form = column![top].spacing(8).padding(20);
        if self.accounts.is_empty() {
            form = form.push(text(lang.text(Text::ComposeNoAccount)).style(style::danger));
        }
        form = form.push(
            row![
                label(Text::HeaderFrom),
                pick_list(emails, self.from.clone(), Message::From).width(Fill),
            ]
            .align_y(iced::Center),
        );
        for (field, key, value) in [
            (Field::To, Text::HeaderTo, &self.to),
            (Field::Cc, Text::HeaderCc, &self.cc),
            (Field::Bcc, Text::HeaderBcc, &self.bcc),
        ] {
            let input = text_input(lang.text(Text::ComposeAddressesHint), value)
                .on_input(move |typed| Message::Address(field, typed))
                .padding(6)
                .id(Id::new(match field {
                    Field::To => TO_ID,
                    Field::Cc => CC_ID,
                    Field::Bcc => BCC_ID,
                }));
            form = form.push(row![label(key), input].align_y(iced::Center));
            if let Some((shown, found)) = &self.suggestions
                && *shown == field
            {
                let mut list = column![].spacing(2);
                for (name, address) in found {
                    let words = match name {
                        Some(name) if !name.is_empty() => format!("{name} <{address}>"),
                        _ => address.clone(),
                    };
                    list = list.push(
                        button(text(words.clone()).size(style::SMALL))
                            .style(style::outline_button)
                            .padding([3, 8])
                            .on_press(Message::Complete(field, words)),
                    );
                }
                form = form.push(row![iced::widget::Space::new().width(72), list]);
            }
        }
        form = form.push(
            row![
                label(Text::HeaderSubject),
                text_input("", &self.subject)
                    .id(Id::new(SUBJECT_ID))
                    .on_input(Message::Subject)
                    .padding(6),
            ]
            .align_y(iced::Center),
        );
        for (index, attachment) in self.attachments.iter().enumerate() {
            form = form.push(
                row![
                    text(format!(
                        "⎘ {}  ({} KB)",
                        attachment.file_name,
                        attachment.data.len().div_ceil(1024)
                    ))
                    .size(style::SMALL)
                    .width(Fill),
                    button(text(lang.text(Text::ComposeRemoveAttachment)).size(style::TINY))
                        .style(style::outline_button)
                        .padding([2, 8])
                        .on_press(Message::Remove(index)),
                ]
                .align_y(iced::Center),
            );
        }
        if let Some(problem) = &self.attach_problem {
            form = form.push(
                text(fill(
                    lang.text(Text::ComposeAttachFailed),
                    &[("detail", problem)],
                ))
                .size(style::SMALL)
                .style(style::danger),
            );
        }
        match &self.draft_note {
            Some(Ok(())) => {
                form = form.push(
                    text(lang.text(Text::DraftSavedOnServer))
                        .size(style::SMALL)
                        .style(style::muted),
                )
            }
            Some(Err(problem)) => {
                form = form.push(
                    text(fill(
                        lang.text(Text::DraftNotOnServer),
                        &[("detail", problem)],
                    ))
                    .size(style::SMALL)
                    .style(style::danger),
                )
            }
            None => {}
        }
        if let Some(line) = self.status_view(lang) {
            form = form.push(line);
        }
        form = form.push(rule::horizontal(1));
        let editor = text_editor(&self.body)
            .id(Id::new(BODY_ID))
            .on_action(Message::Edit)
            .wrapping(crate::ui::style::PROSE)
            .height(Fill)
            .padding(10);
        column![form, container(editor).padding([0, 20]).height(Fill)]
            .push(iced::widget::Space::new().height(12))
            .into()
    }

    fn status_view(&self, lang: Lang) -> Option<Element<'_, Message>> {
        let reason = |reason: &str| {
            let mut lines = vec![fill(lang.text(Text::ComposeReason), &[("detail", reason)])];
            if let Some(words) = tayori::outbox::reason::plain_words(reason, lang) {
                lines.push(words.to_owned());
            }
            lines.join("\n")
        };
        let (words, style): (String, fn(&iced::Theme) -> text::Style) = match &self.status {
            Status::Editing => return None,
            Status::Refused(detail) => (
                fill(lang.text(Text::ComposeRefused), &[("detail", detail)]),
                style::danger,
            ),
            Status::Sending => (lang.text(Text::ComposeSending).to_owned(), style::muted),
            Status::Sent { told } => (
                std::iter::once(lang.text(Text::SendDone).to_owned())
                    .chain(told.iter().map(|account| {
                        fill(lang.text(Text::SendViaGraphNotice), &[("account", account)])
                    }))
                    .collect::<Vec<_>>()
                    .join("\n"),
                style::accent,
            ),
            Status::Queued(detail) => (
                format!("{}\n{}", lang.text(Text::SendQueued), reason(detail)),
                style::muted,
            ),
            Status::Failed(detail) => (
                format!("{}\n{}", lang.text(Text::SendFailed), reason(detail)),
                style::danger,
            ),
        };
        Some(
            container(text(words).size(style::SMALL).style(style))
                .padding([6, 10])
                .width(Fill)
                .style(style::inset)
                .into(),
        )
    }
}

/// The system's file dialog (the desktop portal on Linux); the files read off the UI thread.
async fn pick_files() -> Result<Vec<Attachment>, String> {
    let Some(files) = rfd::AsyncFileDialog::new().pick_files().await else {
        return Ok(Vec::new());
    };
    let paths: Vec<std::path::PathBuf> = files.iter().map(|f| f.path().to_owned()).collect();
    tokio::task::spawn_blocking(move || {
        paths
            .iter()
            .map(|path| Attachment::from_file(path).map_err(|e| e.to_string()))
            .collect()
    })
    .await
    .map_err(|e| e.to_string())?
}

/// The pieces of an address field as typed, split at commas outside quotes.
fn split_addresses_raw(typed: &str) -> Vec<String> {
    let mut parts = vec![String::new()];
    let mut quoted = false;
    for c in typed.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                parts.last_mut().unwrap().push(c);
            }
            ',' | '、' if !quoted => parts.push(String::new()),
            _ => parts.last_mut().unwrap().push(c),
        }
    }
    parts
}

/// The addresses in a field, empty pieces left out.
fn split_addresses(typed: &str) -> Vec<String> {
    split_addresses_raw(typed)
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests;
