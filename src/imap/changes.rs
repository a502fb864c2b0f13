//! Changes sent to the server: flags set or cleared (UID STORE), messages moved (UID MOVE, or COPY
//! and expunge where the server has no MOVE) and removed for good (`\Deleted` and expunge).

use super::syntax::quote;
use super::{CommandError, Conn};
use crate::store::Flags;

/// The system flags set in `flags`, as an IMAP flag list's contents (`\Seen \Flagged`).
fn flag_list(flags: Flags) -> String {
    let mut words = Vec::new();
    if flags.seen {
        words.push("\\Seen");
    }
    if flags.answered {
        words.push("\\Answered");
    }
    if flags.flagged {
        words.push("\\Flagged");
    }
    if flags.deleted {
        words.push("\\Deleted");
    }
    if flags.draft {
        words.push("\\Draft");
    }
    words.join(" ")
}

impl Conn {
    /// Sets (`add`) or clears the `flags` of message `uid` in the selected mailbox.
    pub async fn store_flags(
        &mut self,
        uid: u32,
        add: bool,
        flags: Flags,
    ) -> Result<(), CommandError> {
        let sign = if add { '+' } else { '-' };
        self.run_quietly(&format!(
            "UID STORE {uid} {sign}FLAGS.SILENT ({})",
            flag_list(flags)
        ))
        .await
    }

    /// Moves message `uid` of the selected mailbox to `target`: UID MOVE where the server has MOVE,
    /// else COPY and expunge.
    pub async fn move_message(&mut self, uid: u32, target: &str) -> Result<(), CommandError> {
        if self.has("MOVE") {
            self.run_quietly(&format!("UID MOVE {uid} {}", quote(target)))
                .await
        } else {
            self.run_quietly(&format!("UID COPY {uid} {}", quote(target)))
                .await?;
            self.expunge_uid(uid).await
        }
    }

    /// Removes message `uid` of the selected mailbox for good.
    pub async fn expunge_uid(&mut self, uid: u32) -> Result<(), CommandError> {
        self.run_quietly(&format!("UID STORE {uid} +FLAGS.SILENT (\\Deleted)"))
            .await?;
        if self.has("UIDPLUS") {
            self.run_quietly(&format!("UID EXPUNGE {uid}")).await
        } else {
            // Without UIDPLUS, EXPUNGE also removes other messages someone marked \Deleted — which
            // is what they asked for by marking them.
            self.run_quietly("EXPUNGE").await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_lists_name_the_system_flags_in_a_fixed_order() {
        let flags = Flags {
            seen: true,
            flagged: true,
            draft: true,
            ..Flags::default()
        };
        assert_eq!(flag_list(flags), "\\Seen \\Flagged \\Draft");
        assert_eq!(flag_list(Flags::default()), "");
    }
}
