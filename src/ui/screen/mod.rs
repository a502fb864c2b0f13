//! One module per screen, each with its `State`, `Message`, `update` and `view`.

pub mod composer;
pub mod mailbox;
pub mod settings;
pub mod wizard;
