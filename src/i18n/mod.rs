//! Japanese and English text for everything a person reads, chosen from the OS locale.
//!
//! One catalog, split by area into files: `general`, `wizard`, `failure` (what a failed setup
//! says), `auth` (provider error explanations, app passwords, signing in again), `mailbox`,
//! `reader`, `composer`, `send` (sending and the outbox), `sync` (the status line and new-mail
//! notifications), `settings`, and the command line's own lines: `cli` (accounts, errors), `cli_mail` (sync,
//! list, search, show), `cli_send` (send, outbox), `cli_discover`. Each area declares its keys with `catalog!`, English and
//! Japanese side by side:
//!
//! ```text
//! texts {
//!     AppName { en: "Tayori", ja: "便り Tayori" }
//! }
//! plurals {
//!     StatusMessages {
//!         en: { one: "{count} message", other: "{count} messages" },
//!         ja: { other: "{count} 件" },
//!     }
//! }
//! ```
//!
//! Every key is an associated constant of one of two types, wherever its area is: [`Text`]
//! (`lang.text(Text::AppName)`) or, for a text built around a number, [`Plural`]
//! (`lang.plural(Plural::StatusMessages, n)`, which picks the CLDR plural form and fills `{count}`).
//!
//! What keeps the catalog whole:
//! - **The compiler.** An entry without both languages does not match the macro; a plural needs
//!   English `one` and `other` and Japanese `other` (Japanese has no other CLDR category). A
//!   constant assertion per entry fails the build when the languages fill in different
//!   `{placeholders}`, when a plural form lacks `{count}`, or when a plain text takes a `{count}`
//!   (a count always takes the plural shape, so "1 messages" cannot be written). Two areas
//!   declaring the same key is a duplicate definition.
//! - **Tests.** `every_text_is_translated_with_the_same_placeholders` (nothing empty, nothing left
//!   in English), `every_key_is_used` (a key that no code outside `src/i18n/` names fails).

/// Declares one area of the catalog: its plain texts and its count-taking texts (plurals). See the
/// module documentation for the shape; `area` names the area's variant in `TextKey`/`PluralKey`.
macro_rules! catalog {
    (
        area: $Area:ident;
        texts {
            $( $(#[doc = $doc:literal])* $Key:ident { en: $en:literal, ja: $ja:literal $(,)? } )*
        }
        plurals { $($plurals:tt)* }
    ) => {
        // The variants are the catalog's keys, named for what they say ("MessageUnreadable").
        #[allow(clippy::enum_variant_names)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(super) enum Key {
            $($Key,)*
        }

        impl Key {
            #[cfg(test)]
            pub(super) const ALL: &[Key] = &[$(Key::$Key,)*];

            pub(super) const fn name(self) -> &'static str {
                match self {
                    $(Key::$Key => stringify!($Key),)*
                }
            }

            pub(super) const fn text(self, lang: $crate::i18n::Lang) -> &'static str {
                match self {
                    $(Key::$Key => match lang {
                        $crate::i18n::Lang::En => $en,
                        $crate::i18n::Lang::Ja => $ja,
                    },)*
                }
            }
        }

        #[allow(non_upper_case_globals)]
        impl $crate::i18n::Text {
            $(
                $(#[doc = $doc])*
                pub const $Key: Self = Self($crate::i18n::TextKey::$Area(Key::$Key));
            )*
        }

        $(
            const _: () = {
                assert!(
                    $crate::i18n::same_placeholders($en, $ja),
                    concat!(
                        stringify!($Key),
                        ": English and Japanese fill in different {{placeholders}}"
                    )
                );
                assert!(
                    !$crate::i18n::contains($en, "{count}"),
                    concat!(stringify!($Key), ": a text with a {{count}} goes under `plurals`")
                );
            };
        )*

        catalog!(@plurals $Area { $($plurals)* });
    };

    // An area without count-taking texts (and not under `plurals` in `areas!`).
    (@plurals $Area:ident {}) => {};

    (@plurals $Area:ident {
        $(
            $(#[doc = $doc:literal])*
            $Key:ident {
                en: { one: $one:literal, other: $other:literal $(,)? },
                ja: { other: $ja_other:literal $(,)? } $(,)?
            }
        )+
    }) => {
        #[allow(clippy::enum_variant_names)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub(super) enum PluralKey {
            $($Key,)+
        }

        impl PluralKey {
            #[cfg(test)]
            pub(super) const ALL: &[PluralKey] = &[$(PluralKey::$Key,)+];

            pub(super) const fn name(self) -> &'static str {
                match self {
                    $(PluralKey::$Key => stringify!($Key),)+
                }
            }

            pub(super) const fn template(
                self,
                lang: $crate::i18n::Lang,
                category: $crate::i18n::Category,
            ) -> &'static str {
                use $crate::i18n::{Category, Lang};
                match self {
                    $(PluralKey::$Key => match (lang, category) {
                        (Lang::En, Category::One) => $one,
                        (Lang::En, Category::Other) => $other,
                        (Lang::Ja, _) => $ja_other,
                    },)+
                }
            }
        }

        #[allow(non_upper_case_globals)]
        impl $crate::i18n::Plural {
            $(
                $(#[doc = $doc])*
                pub const $Key: Self = Self($crate::i18n::PluralKey::$Area(PluralKey::$Key));
            )+
        }

        $(
            const _: () = {
                assert!(
                    $crate::i18n::same_placeholders($one, $other)
                        && $crate::i18n::same_placeholders($other, $ja_other),
                    concat!(stringify!($Key), ": the forms fill in different {{placeholders}}")
                );
                assert!(
                    $crate::i18n::contains($one, "{count}")
                        && $crate::i18n::contains($other, "{count}")
                        && $crate::i18n::contains($ja_other, "{count}"),
                    concat!(stringify!($Key), ": every form of a plural shows the {{count}}")
                );
            };
        )+
    };
}

/// Lists the areas (one file each) and builds the catalog's two key types over them: every area
/// has texts; the areas under `plurals` also have count-taking texts.
macro_rules! areas {
    (
        texts: [$($area:ident => $Area:ident),* $(,)?],
        plurals: [$($plural_area:ident => $PluralArea:ident),* $(,)?] $(,)?
    ) => {
        $(mod $area;)*

        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        enum TextKey {
            $($Area($area::Key),)*
        }

        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        enum PluralKey {
            $($PluralArea($plural_area::PluralKey),)*
        }

        impl TextKey {
            const fn name(self) -> &'static str {
                match self {
                    $(TextKey::$Area(key) => key.name(),)*
                }
            }

            const fn text(self, lang: Lang) -> &'static str {
                match self {
                    $(TextKey::$Area(key) => key.text(lang),)*
                }
            }
        }

        impl PluralKey {
            const fn name(self) -> &'static str {
                match self {
                    $(PluralKey::$PluralArea(key) => key.name(),)*
                }
            }

            const fn template(self, lang: Lang, category: Category) -> &'static str {
                match self {
                    $(PluralKey::$PluralArea(key) => key.template(lang, category),)*
                }
            }
        }

        #[cfg(test)]
        impl Text {
            /// Every text of the catalog.
            fn all() -> impl Iterator<Item = Text> {
                std::iter::empty()
                    $(.chain($area::Key::ALL.iter().map(|key| Text(TextKey::$Area(*key)))))*
            }
        }

        #[cfg(test)]
        impl Plural {
            /// Every count-taking text of the catalog.
            fn all() -> impl Iterator<Item = Plural> {
                std::iter::empty()
                    $(.chain(
                        $plural_area::PluralKey::ALL
                            .iter()
                            .map(|key| Plural(PluralKey::$PluralArea(*key))),
                    ))*
            }
        }
    };
}

areas! {
    texts: [
        general => General,
        wizard => Wizard,
        failure => Failure,
        auth => Auth,
        mailbox => Mailbox,
        reader => Reader,
        composer => Composer,
        send => Send,
        sync => Sync,
        settings => Settings,
        cli => Cli,
        network => Network,
        cli_mail => CliMail,
        cli_send => CliSend,
        cli_discover => CliDiscover,
    ],
    plurals: [
        mailbox => Mailbox,
        reader => Reader,
        send => Send,
        sync => Sync,
        settings => Settings,
        cli_mail => CliMail,
        cli_send => CliSend,
    ],
}

/// The languages Tayori speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    Ja,
}

/// A text of the catalog. Its keys are associated constants (`Text::AppName`), declared by area.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Text(TextKey);

/// A text built around a number (`{count}`), in the plural form the number takes in each language.
/// Its keys are associated constants (`Plural::StatusMessages`), declared by area.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Plural(PluralKey);

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name())
    }
}

impl std::fmt::Debug for Plural {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0.name())
    }
}

/// The CLDR plural categories of Tayori's languages: English has `one` (exactly 1) and `other`;
/// Japanese has only `other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    One,
    Other,
}

impl Lang {
    /// Picks the language from a locale tag such as `ja_JP.UTF-8`, `ja-JP` or `en_US`.
    /// Anything that is not Japanese gets English.
    pub fn from_locale_tag(tag: &str) -> Self {
        let primary = tag
            .split(['_', '-', '.', '@'])
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase();
        if primary == "ja" { Lang::Ja } else { Lang::En }
    }

    /// The language of the running system (`LC_ALL`/`LC_MESSAGES`/`LANG` on Unix, the user's UI
    /// language on Windows and macOS).
    pub fn from_system() -> Self {
        sys_locale::get_locale()
            .map(|tag| Self::from_locale_tag(&tag))
            .unwrap_or_default()
    }

    /// The other language, for a quick switch.
    pub fn other(self) -> Self {
        match self {
            Lang::En => Lang::Ja,
            Lang::Ja => Lang::En,
        }
    }

    /// The language's own name, as shown in a language switch.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Ja => "日本語",
        }
    }

    pub const fn text(self, text: Text) -> &'static str {
        text.0.text(self)
    }

    /// The text for `count` things, in the plural form `count` takes in this language, with
    /// `{count}` filled in (other placeholders are left for [`fill`]).
    pub fn plural(self, plural: Plural, count: u64) -> String {
        fill(
            self.plural_template(plural, count),
            &[("count", &count.to_string())],
        )
    }

    /// The form of `plural` that `count` takes, its placeholders unfilled.
    pub const fn plural_template(self, plural: Plural, count: u64) -> &'static str {
        plural.0.template(self, self.category(count))
    }

    /// The CLDR plural category of a whole number in this language.
    const fn category(self, count: u64) -> Category {
        match self {
            Lang::En if count == 1 => Category::One,
            Lang::En | Lang::Ja => Category::Other,
        }
    }
}

/// Puts values into a catalog text's `{name}` placeholders (word order differs between English and
/// Japanese, so placeholders are named, not positional).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// The `{name}` placeholders in a catalog text, sorted and without repeats.
pub fn placeholders(template: &str) -> Vec<&str> {
    let mut names: Vec<&str> = template
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .filter(|name| !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase()))
        .collect();
    names.sort_unstable();
    names.dedup();
    names
}

/// Whether two texts have the same `{name}` placeholders (as [`placeholders`] reads them), at
/// compile time: every entry of the catalog is checked by a constant assertion.
const fn same_placeholders(a: &str, b: &str) -> bool {
    placeholders_found_in(a.as_bytes(), b.as_bytes())
        && placeholders_found_in(b.as_bytes(), a.as_bytes())
}

/// Whether every `{name}` placeholder of `text` occurs in `other`.
const fn placeholders_found_in(text: &[u8], other: &[u8]) -> bool {
    let mut at = 0;
    while at < text.len() {
        if text[at] == b'{' {
            let mut end = at + 1;
            while end < text.len() && text[end].is_ascii_lowercase() {
                end += 1;
            }
            if end > at + 1
                && end < text.len()
                && text[end] == b'}'
                && !occurs(other, text, at, end + 1)
            {
                return false;
            }
        }
        at += 1;
    }
    true
}

/// Whether `text` contains `needle`, at compile time.
const fn contains(text: &str, needle: &str) -> bool {
    let needle = needle.as_bytes();
    occurs(text.as_bytes(), needle, 0, needle.len())
}

/// Whether `haystack` contains the bytes `source[from..to]`.
const fn occurs(haystack: &[u8], source: &[u8], from: usize, to: usize) -> bool {
    let length = to - from;
    let mut start = 0;
    while start + length <= haystack.len() {
        let mut matched = 0;
        while matched < length && haystack[start + matched] == source[from + matched] {
            matched += 1;
        }
        if matched == length {
            return true;
        }
        start += 1;
    }
    false
}

#[cfg(test)]
mod tests;
