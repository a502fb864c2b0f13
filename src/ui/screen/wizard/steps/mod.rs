//! What each step of the wizard shows (signing in and checking the servers: `sign_in.rs`).

mod sign_in;

use iced::widget::{
    Space, button, checkbox, column, container, progress_bar, radio, row, rule, scrollable, text,
    text_input,
};
use iced::{Alignment, Center, Element, Fill, Length, Theme};
use tayori::account::Server;
use tayori::account::setup::{Method, Plan};
use tayori::discovery::{Discovered, DiscoveryError, Outcome, Security, Source, TraceEntry};
use tayori::i18n::{Lang, Text, fill};

use super::{
    CheckState, EMAIL_INPUT, MANUAL_IMAP_HOST, MANUAL_IMAP_PORT, MANUAL_SMTP_HOST,
    MANUAL_SMTP_PORT, MANUAL_USERNAME, ManualField, ManualForm, Message, NAME_INPUT,
    PASSWORD_INPUT, Phase, SignInStep, State, Step, VerifyStep,
};
use sign_in::{sign_in, verifying};

use crate::ui::proxy_sign_in;
use crate::ui::style;

type El<'a> = Element<'a, Message>;

pub fn view(state: &State, lang: Lang) -> El<'_> {
    let (index, body) = match state.step() {
        Step::Address => (0, address(state, lang)),
        Step::Discovering { trace } => (1, discovering(state, trace, lang)),
        Step::Found {
            found,
            plan,
            show_trace,
        } => (1, found_view(found, plan, *show_trace, lang)),
        Step::NeedsTrust { found } => (1, needs_trust(state, found, lang)),
        Step::NotFound {
            error,
            trace,
            show_trace,
            proxy_sign_in,
        } => (
            1,
            not_found(
                state,
                error,
                trace,
                *show_trace,
                proxy_sign_in.as_ref(),
                lang,
            ),
        ),
        Step::Manual(form) => (1, manual(form, lang)),
        Step::SignIn(step) => (2, sign_in(state, step, lang)),
        Step::Verifying(step) => (3, verifying(state, step, lang)),
        Step::Done { account } => (
            4,
            column![
                style::heading(lang.text(Text::DoneHeading)),
                text(fill(
                    lang.text(Text::DoneBody),
                    &[("email", account.email.as_str())]
                ))
                .size(style::BODY),
                actions(
                    None,
                    primary(lang.text(Text::OpenMailbox), Some(Message::OpenMailbox))
                ),
            ]
            .spacing(18)
            .into(),
        ),
    };
    let header = row![
        text(lang.text(Text::WizardTitle))
            .size(style::SMALL)
            .font(style::bold())
            .style(style::accent),
        Space::new().width(Fill),
        button(text(lang.text(Text::SwitchLanguage)).size(style::SMALL))
            .style(style::link_button)
            .padding([4, 8])
            .on_press(Message::SwitchLanguage),
    ]
    .align_y(Center);
    let card = container(
        column![
            header,
            steps_indicator(index, lang),
            rule::horizontal(1),
            body
        ]
        .spacing(20),
    )
    .padding(32)
    .max_width(700)
    .style(style::card);
    container(scrollable(container(card).center_x(Fill).padding([40, 24])))
        .width(Fill)
        .height(Fill)
        .style(style::backdrop)
        .into()
}

/// "① Address — ② Servers — …": where the person is, what is behind and ahead.
fn steps_indicator<'a>(current: usize, lang: Lang) -> El<'a> {
    let labels = [
        Text::StepAddress,
        Text::StepServers,
        Text::StepSignIn,
        Text::StepCheck,
        Text::StepDone,
    ];
    let mut items = row![].spacing(8).align_y(Center);
    for (index, label) in labels.into_iter().enumerate() {
        let mark = if index < current {
            "✓".to_owned()
        } else {
            (index + 1).to_string()
        };
        let state = index.cmp(&current);
        let dot = container(text(mark).size(style::TINY).font(style::bold()).center())
            .width(22)
            .height(22)
            .center(22)
            .style(move |theme: &Theme| {
                let palette = theme.extended_palette();
                let (background, color) = match state {
                    std::cmp::Ordering::Less => {
                        (palette.success.weak.color, palette.success.weak.text)
                    }
                    std::cmp::Ordering::Equal => {
                        (palette.primary.base.color, palette.primary.base.text)
                    }
                    std::cmp::Ordering::Greater => (
                        palette.background.strong.color,
                        palette.background.strong.text,
                    ),
                };
                container::Style {
                    background: Some(background.into()),
                    text_color: Some(color),
                    border: iced::border::rounded(11),
                    ..container::Style::default()
                }
            });
        let label = text(lang.text(label))
            .size(style::SMALL)
            .font_maybe((state == std::cmp::Ordering::Equal).then(style::bold))
            .style(move |theme: &Theme| {
                if state == std::cmp::Ordering::Greater {
                    style::muted(theme)
                } else {
                    text::Style::default()
                }
            });
        items = items.push(row![dot, label].spacing(6).align_y(Center));
        if index + 1 < labels.len() {
            items = items.push(
                container(rule::horizontal(1))
                    .width(Length::Fixed(18.0))
                    .center_y(22),
            );
        }
    }
    items.wrap().into()
}

fn label<'a>(content: &'a str) -> El<'a> {
    text(content).size(style::SMALL).font(style::bold()).into()
}

fn muted<'a>(content: impl text::IntoFragment<'a>) -> El<'a> {
    text(content).size(style::BODY).style(style::muted).into()
}

fn primary(content: &str, on_press: Option<Message>) -> El<'_> {
    button(text(content).size(style::BODY))
        .padding([9, 18])
        .style(style::primary_button)
        .on_press_maybe(on_press)
        .into()
}

fn secondary(content: &str, on_press: Message) -> El<'_> {
    button(text(content).size(style::BODY))
        .padding([9, 16])
        .style(style::outline_button)
        .on_press(on_press)
        .into()
}

fn link(content: &str, on_press: Message) -> El<'_> {
    button(text(content).size(style::SMALL))
        .padding([6, 4])
        .style(style::link_button)
        .on_press(on_press)
        .into()
}

/// The bottom row: what goes back on the left, what goes forward on the right.
fn actions<'a>(back: Option<El<'a>>, forward: El<'a>) -> El<'a> {
    let mut bar = row![].spacing(10).align_y(Center);
    if let Some(back) = back {
        bar = bar.push(back);
    }
    bar.push(Space::new().width(Fill)).push(forward).into()
}

fn input<'a>(
    id: &'static str,
    placeholder: &'a str,
    value: &'a str,
    on_input: impl Fn(String) -> Message + 'a,
    on_submit: Message,
) -> iced::widget::TextInput<'a, Message> {
    text_input(placeholder, value)
        .id(id)
        .on_input(on_input)
        .on_submit(on_submit)
        .padding(10)
        .size(style::BODY + 1.0)
}

fn address(state: &State, lang: Lang) -> El<'_> {
    let valid = state.address_is_valid();
    let mut email = column![
        label(lang.text(Text::EmailLabel)),
        input(
            EMAIL_INPUT,
            lang.text(Text::EmailPlaceholder),
            &state.email,
            Message::EmailChanged,
            Message::SubmitAddress,
        ),
    ]
    .spacing(6);
    if state.address_checked && !valid {
        email = email.push(
            text(lang.text(Text::AddressInvalid))
                .size(style::SMALL)
                .style(style::danger),
        );
    }
    let name = column![
        label(lang.text(Text::NameLabel)),
        input(
            NAME_INPUT,
            lang.text(Text::NamePlaceholder),
            &state.name,
            Message::NameChanged,
            Message::SubmitAddress,
        ),
    ]
    .spacing(6);
    column![
        style::heading(lang.text(Text::AddressHeading)),
        muted(lang.text(Text::AddressIntro)),
        email,
        name,
        actions(
            state
                .can_leave
                .then(|| secondary(lang.text(Text::Cancel), Message::Leave)),
            primary(
                lang.text(Text::Continue),
                valid.then_some(Message::SubmitAddress)
            ),
        ),
    ]
    .spacing(18)
    .into()
}

fn source_text(source: Source) -> Text {
    match source {
        Source::AdminPolicy => Text::SourceAdminPolicy,
        Source::KnownProvider => Text::SourceKnownProvider,
        Source::Autoconfig => Text::SourceAutoconfig,
        Source::Ispdb => Text::SourceIspdb,
        Source::Mx => Text::SourceMx,
        Source::Autodiscover => Text::SourceAutodiscover,
        Source::Srv => Text::SourceSrv,
        Source::Guess => Text::SourceGuess,
        Source::AutoconfigHttp => Text::SourceAutoconfigHttp,
    }
}

/// The sources asked so far, newest last: a mark, the source, what was asked and what came back.
fn trace_list<'a>(trace: &'a [TraceEntry], lang: Lang) -> El<'a> {
    let mut list = column![].spacing(8);
    for entry in trace {
        let (mark, word, detail, tone): (&str, Text, &str, fn(&Theme) -> text::Style) =
            match &entry.outcome {
                Outcome::Found(d) => ("✓", Text::OutcomeFound, d, style::success),
                Outcome::NotFound(d) => ("·", Text::OutcomeNotFound, d, style::muted),
                Outcome::Failed(d) => ("✗", Text::OutcomeFailed, d, style::danger),
                Outcome::TimedOut => ("✗", Text::OutcomeTimedOut, "", style::danger),
                Outcome::NotNeeded => ("–", Text::OutcomeNotNeeded, "", style::muted),
            };
        let mut lines = column![
            row![
                text(lang.text(source_text(entry.source)))
                    .size(style::SMALL)
                    .font(style::bold()),
                text(lang.text(word)).size(style::SMALL).style(tone),
                Space::new().width(Fill),
                text(format!("{} ms", entry.elapsed_ms))
                    .size(style::TINY)
                    .style(style::muted),
            ]
            .spacing(8)
            .align_y(Center),
            text(&entry.query).size(style::TINY).style(style::muted),
        ]
        .spacing(1);
        if !detail.is_empty() {
            lines = lines.push(text(detail).size(style::TINY).style(style::muted));
        }
        list = list.push(
            row![
                container(text(mark).size(style::BODY).style(tone).center()).width(16),
                lines
            ]
            .spacing(8),
        );
    }
    container(
        scrollable(container(list).padding([12, 14]))
            .anchor_bottom()
            .height(Length::Shrink),
    )
    .max_height(240)
    .width(Fill)
    .style(style::inset)
    .into()
}

fn discovering<'a>(state: &'a State, trace: &'a [TraceEntry], lang: Lang) -> El<'a> {
    let answered = {
        let mut sources: Vec<Source> = trace.iter().map(|e| e.source).collect();
        sources.sort();
        sources.dedup();
        sources.len()
    };
    let mut content = column![
        style::heading(fill(
            lang.text(Text::DiscoveringHeading),
            &[("email", state.email.trim())]
        )),
        muted(lang.text(Text::DiscoveringNote)),
        progress_bar(0.0..=Source::ALL.len() as f32, answered as f32).girth(6),
    ]
    .spacing(18);
    if !trace.is_empty() {
        content = content.push(column![
            label(lang.text(Text::SourcesAsked)),
            Space::new().height(6),
            trace_list(trace, lang)
        ]);
    }
    content
        .push(
            text(lang.text(Text::StillAsking))
                .size(style::SMALL)
                .style(style::muted),
        )
        .push(actions(
            Some(secondary(lang.text(Text::Cancel), Message::CancelDiscovery)),
            link(lang.text(Text::EnterManually), Message::EnterManually),
        ))
        .into()
}

fn security(security: Security, lang: Lang) -> &'static str {
    lang.text(match security {
        Security::Tls => Text::EncryptionTls,
        Security::StartTls => Text::EncryptionStartTls,
    })
}

fn found_view<'a>(found: &'a Discovered, plan: &'a Plan, show_trace: bool, lang: Lang) -> El<'a> {
    let from = match &found.provider_name {
        Some(name) => format!("{} — {name}", lang.text(source_text(found.source))),
        None => lang.text(source_text(found.source)).to_owned(),
    };
    let mut content = column![
        style::heading(lang.text(Text::FoundHeading)),
        column![
            text(fill(lang.text(Text::FoundFrom), &[("source", &from)])).size(style::BODY),
            text(lang.text(if found.verified {
                Text::FoundChecked
            } else {
                Text::FoundUnchecked
            }))
            .size(style::SMALL)
            .style(if found.verified {
                style::muted
            } else {
                style::danger
            }),
        ]
        .spacing(4),
        servers_box(plan.imap.clone(), plan.smtp.clone(), lang),
    ]
    .spacing(18);
    content = content.push(link(
        lang.text(if show_trace {
            Text::HideSources
        } else {
            Text::ShowSources
        }),
        Message::ToggleTrace,
    ));
    if show_trace {
        content = content.push(trace_list(&found.trace, lang));
    }
    content
        .push(actions(
            Some(
                row![
                    secondary(lang.text(Text::Back), Message::BackToAddress),
                    link(lang.text(Text::EnterManually), Message::EnterManually),
                ]
                .spacing(10)
                .align_y(Center)
                .into(),
            ),
            primary(lang.text(Text::Continue), Some(Message::ContinueToSignIn)),
        ))
        .into()
}

/// The core's reasons ("MX record, redirect") in the person's language.
fn reasons(reason: &str, lang: Lang) -> String {
    reason
        .split(", ")
        .map(|part| match part {
            "redirect" => lang.text(Text::ReasonRedirect).to_owned(),
            "AutoDiscover redirect" => lang.text(Text::ReasonAutodiscoverRedirect).to_owned(),
            "MX record" => lang.text(Text::ReasonMx).to_owned(),
            "SRV record" => lang.text(Text::ReasonSrv).to_owned(),
            p if p.starts_with("plain HTTP") => lang.text(Text::ReasonPlainHttp).to_owned(),
            other => other.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(if lang == Lang::Ja { "、" } else { ", " })
}

fn needs_trust<'a>(state: &'a State, found: &'a Discovered, lang: Lang) -> El<'a> {
    let Some(confirmation) = &found.needs_confirmation else {
        return column![].into();
    };
    let domains = confirmation.domains.join(", ");
    let own = state.email.rsplit_once('@').map_or("", |(_, d)| d).trim();
    let body = fill(
        lang.text(Text::TrustBody),
        &[
            ("email", state.email.trim()),
            ("domains", &domains),
            ("domain", own),
            ("reason", &reasons(&confirmation.reason, lang)),
        ],
    );
    let imap = Server::from(&found.imap);
    let smtp = Server::from(&found.smtp);
    column![
        style::heading(lang.text(Text::TrustHeading)),
        container(text(body).size(style::BODY))
            .padding(14)
            .width(Fill)
            .style(style::notice),
        servers_box(imap, smtp, lang),
        actions(
            Some(
                row![
                    secondary(lang.text(Text::Back), Message::BackToAddress),
                    link(lang.text(Text::EnterManually), Message::EnterManually),
                ]
                .spacing(10)
                .align_y(Center)
                .into()
            ),
            button(
                text(fill(lang.text(Text::TrustButton), &[("domains", &domains)]))
                    .size(style::BODY)
            )
            .padding([9, 18])
            .style(style::primary_button)
            .on_press(Message::Trust)
            .into(),
        ),
    ]
    .spacing(18)
    .into()
}

fn servers_box<'a>(imap: Server, smtp: Server, lang: Lang) -> El<'a> {
    let line = |title: Text, server: Server| -> El<'a> {
        column![
            text(lang.text(title))
                .size(style::SMALL)
                .font(style::bold()),
            text(format!(
                "{}:{}  ·  {}",
                server.host,
                server.port,
                security(server.security, lang)
            ))
            .size(style::BODY),
            text(format!(
                "{}: {}",
                lang.text(Text::UserNameLabel),
                server.username
            ))
            .size(style::SMALL)
            .style(style::muted),
        ]
        .spacing(2)
        .into()
    };
    container(
        column![
            line(Text::IncomingMail, imap),
            line(Text::OutgoingMail, smtp)
        ]
        .spacing(12),
    )
    .padding([12, 14])
    .width(Fill)
    .style(style::inset)
    .into()
}

fn not_found<'a>(
    state: &'a State,
    error: &'a DiscoveryError,
    trace: &'a [TraceEntry],
    show_trace: bool,
    proxy_sign_in: Option<&'a proxy_sign_in::State>,
    lang: Lang,
) -> El<'a> {
    let body = match error {
        DiscoveryError::BadAddress(_) => lang.text(Text::AddressInvalid).to_owned(),
        DiscoveryError::NothingFound { domain, .. } => {
            fill(lang.text(Text::NothingFoundBody), &[("domain", domain)])
        }
        DiscoveryError::Unsupported { domain, reason, .. } => fill(
            lang.text(Text::UnsupportedBody),
            &[("domain", domain), ("reason", reason)],
        ),
        DiscoveryError::Setup(detail) => {
            fill(lang.text(Text::DiscoverySetupBody), &[("detail", detail)])
        }
        DiscoveryError::Refused { refusal, .. } => refusal.text(lang),
    };
    let mut content = column![
        style::heading(lang.text(Text::NoSettingsHeading)),
        container(text(body).size(style::BODY))
            .padding(14)
            .width(Fill)
            .style(style::problem),
    ]
    .spacing(18);
    // Microsoft's central service hears the address only with the person's yes.
    if let DiscoveryError::NothingFound {
        domain,
        asked_microsoft: false,
        ..
    } = error
    {
        let body = fill(
            lang.text(Text::MicrosoftQuestionBody),
            &[("domain", domain), ("email", state.email.trim())],
        );
        content = content.push(
            container(
                column![
                    text(lang.text(Text::MicrosoftQuestion))
                        .size(style::BODY)
                        .font(style::bold()),
                    text(body).size(style::SMALL),
                    secondary(lang.text(Text::MicrosoftYes), Message::MicrosoftAccount),
                ]
                .spacing(10),
            )
            .padding(14)
            .width(Fill)
            .style(style::inset),
        );
    }
    if let Some(form) = proxy_sign_in {
        content = content.push(form.view(lang).map(Message::ProxySignIn));
    }
    if !trace.is_empty() {
        content = content.push(link(
            lang.text(if show_trace {
                Text::HideSources
            } else {
                Text::ShowSources
            }),
            Message::ToggleTrace,
        ));
        if show_trace {
            content = content.push(trace_list(trace, lang));
        }
    }
    content
        .push(actions(
            Some(secondary(lang.text(Text::Back), Message::BackToAddress)),
            primary(lang.text(Text::EnterManually), Some(Message::EnterManually)),
        ))
        .into()
}

fn manual(form: &ManualForm, lang: Lang) -> El<'_> {
    let block = |title: Text,
                 ids: (&'static str, &'static str),
                 host: &'_ str,
                 port: &'_ str,
                 security_value: Security,
                 on_host: fn(String) -> ManualField,
                 on_port: fn(String) -> ManualField,
                 on_security: fn(Security) -> ManualField|
     -> El<'_> {
        column![
            text(lang.text(title)).size(style::BODY).font(style::bold()),
            row![
                column![
                    text(lang.text(Text::ServerLabel))
                        .size(style::SMALL)
                        .style(style::muted),
                    text_input("", host)
                        .id(ids.0)
                        .on_input(move |v| Message::Manual(on_host(v)))
                        .on_submit(Message::SubmitManual)
                        .padding(8),
                ]
                .spacing(4)
                .width(Length::FillPortion(3)),
                column![
                    text(lang.text(Text::PortLabel))
                        .size(style::SMALL)
                        .style(style::muted),
                    text_input("", port)
                        .id(ids.1)
                        .on_input(move |v| Message::Manual(on_port(v)))
                        .on_submit(Message::SubmitManual)
                        .padding(8),
                ]
                .spacing(4)
                .width(Length::FillPortion(1)),
            ]
            .spacing(10),
            row![
                text(lang.text(Text::EncryptionLabel))
                    .size(style::SMALL)
                    .style(style::muted),
                radio(
                    security(Security::Tls, lang),
                    Security::Tls,
                    Some(security_value),
                    move |v| Message::Manual(on_security(v))
                )
                .size(16)
                .text_size(style::SMALL),
                radio(
                    security(Security::StartTls, lang),
                    Security::StartTls,
                    Some(security_value),
                    move |v| Message::Manual(on_security(v))
                )
                .size(16)
                .text_size(style::SMALL),
            ]
            .spacing(16)
            .align_y(Alignment::Center),
        ]
        .spacing(8)
        .into()
    };
    let mut content = column![
        style::heading(lang.text(Text::ManualHeading)),
        muted(lang.text(Text::ManualIntro)),
        block(
            Text::IncomingMail,
            (MANUAL_IMAP_HOST, MANUAL_IMAP_PORT),
            &form.imap_host,
            &form.imap_port,
            form.imap_security,
            ManualField::ImapHost,
            ManualField::ImapPort,
            ManualField::ImapSecurity,
        ),
        block(
            Text::OutgoingMail,
            (MANUAL_SMTP_HOST, MANUAL_SMTP_PORT),
            &form.smtp_host,
            &form.smtp_port,
            form.smtp_security,
            ManualField::SmtpHost,
            ManualField::SmtpPort,
            ManualField::SmtpSecurity,
        ),
        column![
            text(lang.text(Text::UserNameLabel))
                .size(style::SMALL)
                .style(style::muted),
            text_input("", &form.username)
                .id(MANUAL_USERNAME)
                .on_input(|v| Message::Manual(ManualField::Username(v)))
                .on_submit(Message::SubmitManual)
                .padding(8),
        ]
        .spacing(4),
        checkbox(form.prefer_browser)
            .label(lang.text(Text::ManualPreferBrowser))
            .on_toggle(|v| Message::Manual(ManualField::PreferBrowser(v)))
            .text_size(style::SMALL),
    ]
    .spacing(16);
    let ready = form.plan("x@x").is_some();
    if form.attempted && !ready {
        content = content.push(
            text(lang.text(Text::ManualIncomplete))
                .size(style::SMALL)
                .style(style::danger),
        );
    }
    content
        .push(actions(
            Some(secondary(lang.text(Text::Back), Message::BackToAddress)),
            primary(lang.text(Text::Continue), Some(Message::SubmitManual)),
        ))
        .into()
}
