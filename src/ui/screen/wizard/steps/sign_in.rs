//! The sign-in step (the browser, or an app password and why) and the servers being checked.

use iced::widget::column;

use super::*;

pub(super) fn sign_in<'a>(state: &'a State, step: &'a SignInStep, lang: Lang) -> El<'a> {
    let plan = &step.plan;
    let service = plan
        .sign_in_service_name()
        .unwrap_or_else(|| lang.text(Text::YourProvider).to_owned());
    let heading = style::heading(fill(
        lang.text(Text::SignInHeading),
        &[("email", plan.email.as_str())],
    ));
    let oauth_allowed = plan.check_allowed(Method::OAuth).is_ok() && plan.offers(Method::OAuth);
    let password_allowed =
        plan.check_allowed(Method::Password).is_ok() && plan.offers(Method::Password);
    let failure = match &step.phase {
        Phase::Failed(failure) => Some(&failure.0),
        _ => None,
    };
    let mut content = column![heading].spacing(18);
    match (step.method, &step.phase) {
        (Method::OAuth, Phase::Preparing) => {
            content = content
                .push(muted(lang.text(Text::PreparingSignIn)))
                .push(style::activity(state.activity_phase()))
                .push(actions(
                    Some(secondary(lang.text(Text::Cancel), Message::CancelSignIn)),
                    Space::new().into(),
                ));
        }
        (
            Method::OAuth,
            Phase::DeviceCode {
                url,
                code,
                expires_at,
            },
        ) => {
            let left = expires_at.saturating_duration_since(state.now).as_secs();
            let countdown = format!("{}:{:02}", left / 60, left % 60);
            content = content
                .push(
                    text(lang.text(Text::DeviceCodeHeading))
                        .size(18)
                        .font(style::bold()),
                )
                .push(
                    text(fill(lang.text(Text::DeviceCodeBody), &[("url", url)])).size(style::BODY),
                )
                .push(text(code.as_str()).size(32).font(iced::Font::MONOSPACE))
                .push(muted(fill(
                    lang.text(Text::DeviceCodeExpiresIn),
                    &[("time", &countdown)],
                )))
                .push(row![secondary(lang.text(Text::CopyCode), Message::CopyCode)].spacing(10))
                .push(actions(
                    Some(secondary(lang.text(Text::Cancel), Message::CancelSignIn)),
                    Space::new().into(),
                ));
        }
        // The mail server named the sign-in service: where the browser would go is shown first.
        (Method::OAuth, Phase::ConfirmHost { host, .. }) => {
            content = content
                .push(
                    text(lang.text(Text::ConfirmHostHeading))
                        .size(18)
                        .font(style::bold()),
                )
                .push(
                    text(fill(lang.text(Text::ConfirmHostBody), &[("host", host)]))
                        .size(style::BODY),
                )
                .push(actions(
                    Some(secondary(lang.text(Text::Cancel), Message::CancelSignIn)),
                    button(
                        text(fill(lang.text(Text::ContinueToHost), &[("host", host)]))
                            .size(style::BODY),
                    )
                    .padding([9, 18])
                    .style(style::primary_button)
                    .on_press(Message::ContinueToHost)
                    .into(),
                ));
        }
        (Method::OAuth, Phase::Waiting { url }) => {
            content = content
                .push(
                    text(lang.text(Text::WaitingHeading))
                        .size(18)
                        .font(style::bold()),
                )
                .push(
                    text(fill(lang.text(Text::WaitingBody), &[("service", &service)]))
                        .size(style::BODY),
                )
                .push(muted(lang.text(Text::WaitingNoWindow)));
            if url.is_some() {
                content = content.push(
                    row![
                        secondary(lang.text(Text::OpenAgain), Message::OpenAgain),
                        secondary(lang.text(Text::CopyAddress), Message::CopyAddress),
                    ]
                    .spacing(10),
                );
            }
            content = content.push(actions(
                Some(secondary(lang.text(Text::Cancel), Message::CancelSignIn)),
                Space::new().into(),
            ));
        }
        (Method::OAuth, _) => {
            content = content.push(
                text(fill(
                    lang.text(Text::SignInBrowserNote),
                    &[("service", &service)],
                ))
                .size(style::BODY),
            );
            // Where the browser goes, where that is known before the mail server is asked (else
            // it is shown, and accepted, before the browser opens).
            if let Some(host) = plan.sign_in_host() {
                content = content.push(
                    text(fill(lang.text(Text::SignInPageHost), &[("host", &host)]))
                        .size(style::SMALL)
                        .style(style::muted),
                );
            }
            if plan.from_admin_policy() && !password_allowed {
                content = content.push(
                    text(lang.text(Text::PolicyOnlyBrowser))
                        .size(style::SMALL)
                        .style(style::muted),
                );
            }
            if let Some(failure) = failure {
                content = content.push(failure.view(lang));
                if failure.admin_consent_link.is_some() {
                    content = content.push(secondary(
                        lang.text(Text::CopyAdminConsentLink),
                        Message::CopyAdminConsentLink,
                    ));
                }
            }
            let sign_in_label = match plan.sign_in_service_name() {
                Some(name) => fill(lang.text(Text::SignInWith), &[("service", &name)]),
                None => lang.text(Text::SignInWithBrowser).to_owned(),
            };
            let mut alternatives = row![secondary(lang.text(Text::Back), Message::BackToAddress)]
                .spacing(10)
                .align_y(Center);
            if plan.offers_device_code() && oauth_allowed {
                alternatives = alternatives.push(link(
                    lang.text(Text::SignInWithCode),
                    Message::SignInWithCode,
                ));
            }
            // A missing approval (consent) is for the administrator: where that is the failure
            // (Microsoft 365, which takes no password from mail programs), a password would be
            // refused as well, so none is offered.
            let approval_missing = failure.is_some_and(|f| f.admin_consent_link.is_some());
            if password_allowed && !approval_missing {
                let label = if failure.is_some_and(|f| f.app_refused) {
                    Text::UseAppPassword
                } else {
                    Text::UsePasswordInstead
                };
                alternatives = alternatives.push(link(
                    lang.text(label),
                    Message::ChooseMethod(Method::Password),
                ));
            }
            content = content.push(actions(
                Some(alternatives.into()),
                button(text(sign_in_label).size(style::BODY))
                    .padding([9, 18])
                    .style(style::primary_button)
                    .on_press_maybe(oauth_allowed.then_some(Message::SignIn))
                    .into(),
            ));
        }
        (Method::Password, _) => {
            if let Some(help) = password_help(plan, lang) {
                content = content.push(
                    container(text(help).size(style::SMALL))
                        .padding(14)
                        .width(Fill)
                        .style(style::inset),
                );
            }
            if plan.from_admin_policy() && !oauth_allowed {
                content = content.push(
                    text(lang.text(Text::PolicyOnlyPassword))
                        .size(style::SMALL)
                        .style(style::muted),
                );
            }
            content = content.push(
                column![
                    label(lang.text(Text::PasswordLabel)),
                    input(
                        PASSWORD_INPUT,
                        lang.text(Text::PasswordPlaceholder),
                        &step.password,
                        Message::PasswordChanged,
                        Message::SignIn,
                    )
                    .secure(true),
                ]
                .spacing(6),
            );
            if let Some(failure) = failure {
                content = content.push(failure.view(lang));
            }
            let mut alternatives = row![secondary(lang.text(Text::Back), Message::BackToAddress)]
                .spacing(10)
                .align_y(Center);
            if oauth_allowed {
                alternatives = alternatives.push(link(
                    lang.text(Text::UseBrowserInstead),
                    Message::ChooseMethod(Method::OAuth),
                ));
            }
            content = content.push(actions(
                Some(alternatives.into()),
                primary(
                    lang.text(Text::SignInButton),
                    (!step.password.is_empty() && password_allowed).then_some(Message::SignIn),
                ),
            ));
        }
    }
    content.into()
}

/// Why a password is asked for and, where the provider needs one, how to create an app password.
fn password_help(plan: &Plan, lang: Lang) -> Option<&'static str> {
    // Servers typed by hand: the person chose the method knowingly.
    plan.source?;
    Some(match (plan.provider, plan.offers(Method::OAuth)) {
        (Some(provider), _) => tayori::auth::guidance::app_password_help(Some(provider), lang),
        (None, true) => lang.text(Text::AppPasswordGeneric),
        (None, false) => tayori::auth::guidance::app_password_help(None, lang),
    })
}

pub(super) fn verifying<'a>(state: &'a State, step: &'a VerifyStep, lang: Lang) -> El<'a> {
    let line = |state: CheckState, description: String| -> El<'_> {
        let (mark, tone): (&str, fn(&Theme) -> text::Style) = match state {
            CheckState::Pending => ("○", style::muted),
            CheckState::Running => ("…", style::accent),
            CheckState::Passed => ("✓", style::success),
            CheckState::Failed => ("✗", style::danger),
        };
        row![
            container(text(mark).size(style::BODY + 2.0).style(tone).center()).width(20),
            text(description)
                .size(style::BODY)
                .style(move |theme: &Theme| {
                    if state == CheckState::Pending {
                        style::muted(theme)
                    } else {
                        text::Style::default()
                    }
                }),
        ]
        .spacing(10)
        .align_y(Center)
        .into()
    };
    let server = |s: &Server| format!("{}:{}", s.host, s.port);
    let mut content = column![
        style::heading(lang.text(if step.failure.is_some() {
            Text::CheckFailedHeading
        } else {
            Text::CheckHeading
        })),
        container(
            column![
                line(
                    step.imap,
                    fill(
                        lang.text(Text::CheckImap),
                        &[("server", &server(&step.plan.imap))]
                    )
                ),
                line(
                    step.smtp,
                    fill(
                        lang.text(Text::CheckSmtp),
                        &[("server", &server(&step.plan.smtp))]
                    )
                ),
                line(step.save, lang.text(Text::CheckSave).to_owned()),
            ]
            .spacing(12)
        )
        .padding([14, 16])
        .width(Fill)
        .style(style::inset),
    ]
    .spacing(18);
    if step.failure.is_none() {
        content = content.push(style::activity(state.activity_phase()));
    }
    if let Some(failure) = &step.failure {
        content = content
            .push(failure.view(lang))
            .push(
                text(lang.text(Text::NothingSaved))
                    .size(style::SMALL)
                    .style(style::muted),
            )
            .push(actions(
                Some(secondary(lang.text(Text::Back), Message::BackToAddress)),
                primary(lang.text(Text::TryAgain), Some(Message::BackToSignIn)),
            ));
    }
    content.into()
}
